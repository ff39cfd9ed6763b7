// HTTP benchmarks (issue 4): `POST /api/v1/workflows/{id}/execute` of a one-step workflow and
// authenticated `GET /api/v1/executions/{id}`, with autocannon (50 connections, in a worker thread),
// as a tenant whose quota was raised, against a bare Fastify hello-world measured in the same run.
// Only 200 / 202 answers count.
import { randomBytes } from "node:crypto";
import type { AddressInfo } from "node:net";
import autocannon from "autocannon";
import Fastify from "fastify";
import { Orchestrator, TenantTier } from "synergymesh";
import type { TestDatabase } from "synergymesh/testing";
import { createServer } from "../src/server/create-server.js";
import { silentLogger } from "../src/telemetry/logger.js";

export interface HttpFigures {
  helloPerSecond: number;
  readsPerSecond: number;
  startsPerSecond: number;
}

const RAISED = { maxConcurrentTasks: 1_000_000, maxTasksPerHour: 1_000_000_000, rateLimitPerSecond: 1_000_000_000, maxMemoryMb: 1_000_000_000, maxCpuPercent: 1_000_000_000 };
const DURATION_S = 8;

async function measure(label: string, options: autocannon.Options, okStatus: number): Promise<number> {
  // A short warm-up (JIT, prepared statements, caches), then the measured run.
  await autocannon({ ...options, duration: 1, workers: 1 });
  const result = await autocannon({ ...options, duration: DURATION_S, workers: 1 });
  // 200 and 202 are both 2xx; an answer of any other status is counted as not ok.
  const ok = result["2xx"];
  const bad = result.non2xx + result.errors + result.timeouts;
  const rate = ok / DURATION_S;
  console.log(`${label}: ${Math.round(rate)} ok answers/s (${ok} ok, ${bad} not ok), latency p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  if (bad > 0) console.log(`  (${bad} answers were not ${okStatus} and are not counted)`);
  return rate;
}

async function helloWorld(): Promise<number> {
  const app = Fastify({ logger: false });
  app.get("/", async () => ({ hello: "world" }));
  await app.listen({ host: "127.0.0.1", port: 0 });
  try {
    return await measure("bare Fastify hello-world", { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/`, connections: 50 }, 200);
  } finally {
    await app.close();
  }
}

export async function httpBench(label: string, db: TestDatabase): Promise<HttpFigures> {
  const helloPerSecond = await helloWorld();
  // A node that serves the API and claims no work: the measured path is the API and the commit of
  // each start, not the steps (the engine benchmarks measure those).
  const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, auditKey: randomBytes(32), masterKey: randomBytes(32), startWorkers: false });
  try {
    orch.registerStepExecutor({ type: "noop", execute: () => null });
    const tenantId = await orch.createTenant("HTTP bench", TenantTier.ENTERPRISE);
    await orch.modifyQuota(tenantId, RAISED);
    const key = (await orch.createApiKey(tenantId, { role: "owner" })).key;
    await orch.registerWorkflow({ id: "one", name: "one", steps: [{ id: "only", type: "noop" }] }, { tenantId });
    const { executionId } = await orch.startExecution("one", {}, { tenantId });
    const app = await createServer(orch);
    await app.listen({ host: "127.0.0.1", port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    try {
      const readsPerSecond = await measure(`${label}: GET /api/v1/executions/{id}`, { url: `${base}/api/v1/executions/${executionId}`, connections: 50, headers }, 200);
      const startsPerSecond = await measure(`${label}: POST /api/v1/workflows/{id}/execute`, { url: `${base}/api/v1/workflows/one/execute`, method: "POST", body: JSON.stringify({ input: { n: 1 } }), connections: 50, headers }, 202);
      console.log(`${label}: reads at ${((readsPerSecond / helloPerSecond) * 100).toFixed(0)} % of the hello-world`);
      return { helloPerSecond, readsPerSecond, startsPerSecond };
    } finally {
      await app.close();
    }
  } finally {
    await orch.close();
    await db.cleanup();
  }
}
