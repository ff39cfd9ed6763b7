// `npm run bench`: measured figures for docs/benchmarks.md. Everything goes through the public API
// with SPEC D's durability settings (SQLite WAL + synchronous=NORMAL, PostgreSQL defaults), as a
// tenant whose quota was raised with modifyQuota, so the limits are not what is measured.
import { randomBytes } from "node:crypto";
import os from "node:os";
import { Orchestrator, SlidingWindowRateLimiter, TenantTier } from "synergymesh";
import { TEST_POSTGRES_URL, tempPostgresSchema, tempSqliteDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";
import { silentLogger } from "../src/telemetry/logger.js";
import { engineBench } from "./engine-bench.js";
import { schedulerBench } from "./scheduler-bench.js";
import { triggerBench } from "./trigger-bench.js";
import { httpBench } from "./http-bench.js";

const RAISED = { maxConcurrentTasks: 1_000_000, maxTasksPerHour: 1_000_000_000, rateLimitPerSecond: 1_000_000_000, maxMemoryMb: 1_000_000_000, maxCpuPercent: 1_000_000_000 };

interface Row {
  name: string;
  value: string;
  target: string;
}
const rows: Row[] = [];

async function executeWithRetryThroughput(label: string, db: TestDatabase, calls: number, inFlight: number): Promise<number> {
  const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, auditKey: randomBytes(32), masterKey: randomBytes(32) });
  try {
    const tenant = await orch.createTenant("Bench", TenantTier.ENTERPRISE);
    await orch.modifyQuota(tenant, RAISED);
    const task = async () => ({ ok: true });
    // Warm up: JIT, prepared statements, the tenant cache.
    await Promise.all(Array.from({ length: 2000 }, () => orch.executeWithRetry(task, "bench", tenant)));
    let started = 0;
    let failed = 0;
    const t0 = process.hrtime.bigint();
    async function lane(): Promise<void> {
      while (started < calls) {
        started += 1;
        const r = await orch.executeWithRetry(task, "bench", tenant);
        if (r.status !== "success") failed += 1;
      }
    }
    await Promise.all(Array.from({ length: inFlight }, lane));
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (failed) throw new Error(`${failed} calls failed`);
    const rate = calls / seconds;
    const verified = await orch.verifyAuditChain(tenant);
    if (!verified.ok || verified.recordsChecked < calls) throw new Error(`audit chain: ${JSON.stringify(verified.firstBroken)}, ${verified.recordsChecked} records`);
    console.log(`${label}: ${calls} calls, ${inFlight} in flight, ${seconds.toFixed(2)} s -> ${Math.round(rate)} calls/s (audit chain verified: ${verified.recordsChecked} records)`);
    return rate;
  } finally {
    await orch.close();
    await db.cleanup();
  }
}

function limiterThroughput(decisions: number, tenants: number): number {
  const limiter = new SlidingWindowRateLimiter();
  const keys = Array.from({ length: tenants }, (_, i) => `tenant-${i.toString(16).padStart(12, "0")}`);
  let allowed = 0;
  // Time advances 1 ms every 100 decisions: 100,000 decisions per simulated second against a
  // limit of 50 per tenant per second (each tenant asks 100 times a second), so refusals and window slides both happen.
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < decisions; i++) {
    const d = limiter.tryAcquire(keys[i % tenants] as string, 50, Math.floor(i / 100));
    if (d.allowed) allowed += 1;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rate = decisions / seconds;
  console.log(`rate limiter: ${decisions} decisions over ${tenants} tenants in ${seconds.toFixed(2)} s -> ${Math.round(rate)} decisions/s (${allowed} admitted)`);
  return rate;
}

async function httpRows(): Promise<void> {
  const http = await httpBench("HTTP on SQLite file", tempSqliteDatabase());
  rows.push({ name: "HTTP: bare Fastify hello-world, answers/s, 50 connections (the baseline)", value: Math.round(http.helloPerSecond).toLocaleString("en"), target: "(baseline)" });
  rows.push({ name: "HTTP: authenticated GET /api/v1/executions/{id}, 200s/s, SQLite", value: `${Math.round(http.readsPerSecond).toLocaleString("en")} (${((http.readsPerSecond / http.helloPerSecond) * 100).toFixed(0)} % of hello-world)`, target: ">= 60 % of hello-world" });
  rows.push({ name: "HTTP: POST /api/v1/workflows/{id}/execute (one-step workflow), 202s/s, SQLite", value: Math.round(http.startsPerSecond).toLocaleString("en"), target: "2,000" });
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? "cpu"}`);
  // `SYNERGYMESH_BENCH=http npm run bench` runs only the HTTP benchmarks.
  if (process.env.SYNERGYMESH_BENCH === "http") {
    await httpRows();
    console.log("\n| benchmark | measured | target |\n| --- | --- | --- |");
    for (const r of rows) console.log(`| ${r.name} | ${r.value} | ${r.target} |`);
    return;
  }
  const limiter = limiterThroughput(5_000_000, 1000);
  rows.push({ name: "rate limiter decisions/s (in process)", value: Math.round(limiter).toLocaleString("en"), target: "> 500,000" });

  const sqlite = await executeWithRetryThroughput("executeWithRetry on SQLite file", tempSqliteDatabase(), 100_000, 1000);
  rows.push({ name: "executeWithRetry calls/s, SQLite file (WAL, synchronous=NORMAL), 1,000 in flight", value: Math.round(sqlite).toLocaleString("en"), target: ">= 20,000" });

  const pg = await executeWithRetryThroughput(`executeWithRetry on PostgreSQL (${TEST_POSTGRES_URL})`, await tempPostgresSchema(), 50_000, 1000);
  rows.push({ name: "executeWithRetry calls/s, PostgreSQL (synchronous_commit=on), 1,000 in flight", value: Math.round(pg).toLocaleString("en"), target: "(no target)" });

  const engineSqlite = await engineBench("engine on SQLite file", tempSqliteDatabase());
  rows.push({ name: "engine: 10-step linear workflow, 1,000 executions 10 at a time, durable steps/s, SQLite", value: Math.round(engineSqlite.linearStepsPerSecond).toLocaleString("en"), target: "10,000" });
  rows.push({ name: "engine: fan-out/fan-in 1 -> 10 -> 1, 200 executions, executions/s, SQLite", value: engineSqlite.fanExecutionsPerSecond.toFixed(1), target: "(none)" });
  rows.push({ name: "engine: start latency (start -> first step running) at 100 starts/s, SQLite, p50 / p99 ms", value: `${engineSqlite.startP50Ms.toFixed(2)} / ${engineSqlite.startP99Ms.toFixed(2)}`, target: "p50 < 2" });
  const enginePg = await engineBench("engine on PostgreSQL", await tempPostgresSchema());
  rows.push({ name: "engine: 10-step linear workflow, durable steps/s, PostgreSQL", value: Math.round(enginePg.linearStepsPerSecond).toLocaleString("en"), target: "5,000" });
  rows.push({ name: "engine: fan-out/fan-in executions/s, PostgreSQL", value: enginePg.fanExecutionsPerSecond.toFixed(1), target: "(none)" });
  rows.push({ name: "engine: start latency p50 / p99 ms, PostgreSQL", value: `${enginePg.startP50Ms.toFixed(2)} / ${enginePg.startP99Ms.toFixed(2)}`, target: "p50 < 10" });

  for (const [name, db] of [["SQLite", tempSqliteDatabase()], ["PostgreSQL", await tempPostgresSchema()]] as const) {
    const s = await schedulerBench(`noisy neighbour on ${name}`, db);
    const ms = (l: { queueP50Ms: number; queueP99Ms: number; startP50Ms: number; startP99Ms: number; leasedOnCommit: number }) =>
      `queue ${l.queueP50Ms.toFixed(2)} / ${l.queueP99Ms.toFixed(2)}, start ${l.startP50Ms.toFixed(2)} / ${l.startP99Ms.toFixed(2)} (${l.leasedOnCommit}/20 leased on commit)`;
    rows.push({ name: `noisy neighbour: B's 20 + 20 runs, p50 / p99 ms, alone, ${name}`, value: ms(s.alone), target: "(reference)" });
    rows.push({ name: `noisy neighbour: B's 20 + 20 runs beside A's 20,000 backlog, p50 / p99 ms, ${name}`, value: ms(s.contended), target: "queue p99 <= 2x alone, start p99 < 50" });
  }

  for (const name of ["SQLite", "PostgreSQL"] as const) {
    for (const triggers of [1, 20]) {
      const db = name === "SQLite" ? tempSqliteDatabase() : await tempPostgresSchema();
      const cron = await triggerBench(`cron accuracy on ${name}`, db, { triggers, seconds: 15 });
      rows.push({ name: `cron accuracy: ${triggers} per-second schedule(s) for 16 s (${cron.fires} fires), committed fire - scheduled time p50 / p99 / max ms, ${name}`, value: `${cron.p50Ms} / ${cron.p99Ms} / ${cron.maxMs}`, target: "p99 < 50" });
    }
  }
  await httpRows();

  console.log("\n| benchmark | measured | target |\n| --- | --- | --- |");
  for (const r of rows) console.log(`| ${r.name} | ${r.value} | ${r.target} |`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
