// Runs only the noisy-neighbour benchmark (one dialect): `tsx --conditions=source bench/scheduler-only.ts sqlite|postgres`.
import { tempPostgresSchema, tempSqliteDatabase } from "synergymesh/testing";
import { schedulerBench } from "./scheduler-bench.js";

const dialect = process.argv[2] ?? "sqlite";
await schedulerBench(dialect, dialect === "postgres" ? await tempPostgresSchema() : tempSqliteDatabase());
