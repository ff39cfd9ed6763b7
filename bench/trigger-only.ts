// Runs only the cron accuracy benchmark (one dialect):
// `tsx --conditions=source bench/trigger-only.ts sqlite|postgres [schedules] [seconds]`.
import { tempPostgresSchema, tempSqliteDatabase } from "synergymesh/testing";
import { triggerBench } from "./trigger-bench.js";

const dialect = process.argv[2] ?? "sqlite";
const triggers = Number(process.argv[3] ?? 20);
const seconds = Number(process.argv[4] ?? 15);
await triggerBench(`cron accuracy on ${dialect}`, dialect === "postgres" ? await tempPostgresSchema() : tempSqliteDatabase(), { triggers, seconds });
