// synergymesh/testing: a small public kit for tests of code that embeds the orchestrator.
import { randomBytes } from "node:crypto";
import type { OrchestratorOptions } from "../config/options.js";
import { silentLogger } from "../telemetry/logger.js";
import { Orchestrator } from "../orchestrator.js";
import { FakeClock } from "./fake-clock.js";
import type { DialectName, TestDatabase } from "./databases.js";
import { tempDatabase } from "./databases.js";

export { FakeClock, flushMicrotasks } from "./fake-clock.js";
export { DIALECTS, TEST_POSTGRES_URL, rawQuery, tempDatabase, tempPostgresSchema, tempSqliteDatabase } from "./databases.js";
export type { DialectName, TestDatabase } from "./databases.js";

export interface TestOrchestrator {
  orch: Orchestrator;
  clock: FakeClock;
  db: TestDatabase;
  auditKey: Buffer;
  /** Closes the orchestrator and removes its database. */
  dispose(): Promise<void>;
}

/** An orchestrator on a fresh real database of the dialect, with a fake clock and a silent logger. */
export async function openTestOrchestrator(dialect: DialectName = "sqlite", options: OrchestratorOptions = {}): Promise<TestOrchestrator> {
  const db = await tempDatabase(dialect);
  const clock = options.clock instanceof FakeClock ? options.clock : new FakeClock();
  const auditKey = randomBytes(32);
  const orch = await Orchestrator.open({ auditKey, masterKey: randomBytes(32), logger: silentLogger, ...options, clock, database: db.database, ...(db.schema ? { schema: db.schema } : {}) });
  return {
    orch,
    clock,
    db,
    auditKey,
    dispose: async () => {
      await orch.close();
      await db.cleanup();
    },
  };
}
