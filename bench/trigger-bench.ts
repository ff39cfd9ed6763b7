// Cron accuracy: per-second (6-field) schedules on the real clock. A fire's lateness is the time its
// `trigger.fired` event is emitted (after the fire record and its execution are committed) minus
// its scheduled time; the stored `fired_at` (taken before that commit) is reported beside it.
import { randomBytes } from "node:crypto";
import { Orchestrator, TenantTier } from "synergymesh";
import type { TestDatabase } from "synergymesh/testing";
import { rawQuery } from "synergymesh/testing";
import { silentLogger } from "../src/telemetry/logger.js";

export interface TriggerFigures {
  fires: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** The same over the stored `fired_at`. */
  storedP99Ms: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** `triggers` per-second schedules run for `seconds` seconds; lateness of every fire in that window. */
export async function triggerBench(label: string, db: TestDatabase, options: { triggers: number; seconds: number }): Promise<TriggerFigures> {
  const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, auditKey: randomBytes(32), masterKey: randomBytes(32), triggers: { enabled: true } });
  try {
    orch.registerStepExecutor({ type: "noop", execute: () => null });
    const tenantId = await orch.createTenant("Bench", TenantTier.ENTERPRISE);
    await orch.modifyQuota(tenantId, { maxConcurrentTasks: 1_000_000, maxTasksPerHour: 1_000_000_000, rateLimitPerSecond: 1_000_000_000 });
    await orch.registerWorkflow({ id: "tick", name: "tick", steps: [{ id: "only", type: "noop" }] }, { tenantId, status: "active" });
    const from = Math.ceil(Date.now() / 1000) * 1000 + 2000;
    const until = from + options.seconds * 1000;
    const committed: number[] = [];
    // Wait for the last second of the window to be fired by every trigger (an event, not a sleep).
    const done = new Promise<void>((resolve) => {
      let last = 0;
      orch.triggerEvents.on("trigger.fired", (e) => {
        if (e.scheduledAt >= from && e.scheduledAt <= until) committed.push(Date.now() - e.scheduledAt);
        if (e.scheduledAt === until && ++last === options.triggers) resolve();
      });
    });
    for (let i = 0; i < options.triggers; i++) await orch.createTrigger({ workflowId: "tick", type: "schedule", config: { cron: "* * * * * *" } }, { tenantId });
    await done;
    const rows = await rawQuery<{ scheduled_at: number; fired_at: number; status: string }>(db, "SELECT scheduled_at, fired_at, status FROM trigger_fires WHERE scheduled_at >= $1 AND scheduled_at <= $2", [from, until]);
    const expected = options.triggers * (options.seconds + 1);
    if (rows.length !== expected || committed.length !== expected) throw new Error(`${rows.length} fires recorded and ${committed.length} told in the window, expected ${expected}`);
    if (rows.some((r) => r.status !== "started")) throw new Error(`fires not started: ${JSON.stringify(rows.filter((r) => r.status !== "started").slice(0, 3))}`);
    const late = committed.sort((a, b) => a - b);
    const stored = rows.map((r) => Number(r.fired_at) - Number(r.scheduled_at)).sort((a, b) => a - b);
    const figures = { fires: late.length, p50Ms: percentile(late, 50), p99Ms: percentile(late, 99), maxMs: late[late.length - 1] as number, storedP99Ms: percentile(stored, 99) };
    console.log(
      `${label}: ${options.triggers} per-second schedules for ${options.seconds + 1} s, ${figures.fires} fires: committed lateness p50 ${figures.p50Ms} ms, p99 ${figures.p99Ms} ms, max ${figures.maxMs} ms (stored fired_at p99 ${figures.storedP99Ms} ms)`,
    );
    return figures;
  } finally {
    await orch.close();
    await db.cleanup();
  }
}
