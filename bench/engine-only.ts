// Runs only the engine benchmark (one dialect): `tsx --conditions=source bench/engine-only.ts sqlite|postgres`.
import { tempPostgresSchema, tempSqliteDatabase } from "synergymesh/testing";
import { engineBench } from "./engine-bench.js";

const dialect = process.argv[2] ?? "sqlite";
await engineBench(dialect, dialect === "postgres" ? await tempPostgresSchema() : await tempSqliteDatabase());
