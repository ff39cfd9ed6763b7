// Engine benchmarks (issue: durable engine): durable steps per second of a 10-step linear workflow,
// executions per second of a fan-out / fan-in, and start latency (start -> first step running).
import { randomBytes } from "node:crypto";
import { Orchestrator, TenantTier } from "synergymesh";
import type { TestDatabase } from "synergymesh/testing";
import { silentLogger } from "../src/telemetry/logger.js";

export interface EngineFigures {
  linearStepsPerSecond: number;
  fanExecutionsPerSecond: number;
  startP50Ms: number;
  startP99Ms: number;
}

const linear = `
id: linear10
name: linear10
steps:
${Array.from({ length: 10 }, (_, i) => `  - { id: s${i}, type: noop${i ? `, depends_on: [s${i - 1}]` : ""} }`).join("\n")}
`;

const fan = `
id: fan
name: fan
steps:
  - { id: start, type: noop }
${Array.from({ length: 10 }, (_, i) => `  - { id: p${i}, type: noop, depends_on: [start] }`).join("\n")}
  - { id: join, type: noop, depends_on: [${Array.from({ length: 10 }, (_, i) => `p${i}`).join(", ")}] }
`;

const single = `
id: single
name: single
steps: [{ id: only, type: noop }]
`;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

export async function engineBench(label: string, db: TestDatabase): Promise<EngineFigures> {
  const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, concurrency: 64, auditKey: randomBytes(32), masterKey: randomBytes(32) });
  try {
    orch.registerStepExecutor({ type: "noop", execute: () => null });
    const tenantId = await orch.createTenant("Bench", TenantTier.ENTERPRISE);
    await orch.modifyQuota(tenantId, { maxConcurrentTasks: 1_000_000, maxTasksPerHour: 1_000_000_000, rateLimitPerSecond: 1_000_000_000, maxMemoryMb: 1_000_000_000, maxCpuPercent: 1_000_000_000 });
    for (const yaml of [linear, fan, single]) await orch.registerWorkflow(yaml, { tenantId, status: "active" });

    // CPU time of this process over a run: steadier than wall time on a busy machine.
    let lastCpuMs = 0;
    async function runMany(workflowId: string, total: number, inFlight: number): Promise<number> {
      let started = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      async function lane() {
        while (started < total) {
          started += 1;
          const { executionId } = await orch.startExecution(workflowId, {}, { tenantId });
          const done = await orch.waitForExecution(executionId, { tenantId });
          if (done.status !== "completed") throw new Error(`execution ${executionId} ${done.status}: ${done.error}`);
        }
      }
      await Promise.all(Array.from({ length: inFlight }, lane));
      const cpu = process.cpuUsage(cpu0);
      lastCpuMs = (cpu.user + cpu.system) / 1000;
      return (performance.now() - t0) / 1000;
    }

    await runMany("linear10", 50, 10); // warm-up
    const linearSeconds = await runMany("linear10", 1000, 10);
    const linearStepsPerSecond = 10_000 / linearSeconds;
    console.log(`${label}: linear 10-step, 1,000 executions, 10 at a time: ${linearSeconds.toFixed(2)} s -> ${Math.round(linearStepsPerSecond)} durable steps/s (${((lastCpuMs * 1000) / 10_000).toFixed(0)} µs CPU per step)`);

    const fanSeconds = await runMany("fan", 200, 10);
    const fanExecutionsPerSecond = 200 / fanSeconds;
    console.log(`${label}: fan-out/fan-in 1 -> 10 -> 1, 200 executions: ${fanSeconds.toFixed(2)} s -> ${fanExecutionsPerSecond.toFixed(1)} executions/s (${Math.round((fanExecutionsPerSecond * 12))} steps/s)`);

    // Start latency at 100 starts/s: from the start call to the first step running.
    const latencies: number[] = [];
    const startedAt = new Map<string, number>();
    // Starts are issued one at a time: the execution.started event (emitted inside the start call,
    // before its first step is dispatched) pairs each execution with the time its call began.
    let callTime = 0;
    const onStart = (e: { executionId: string }) => startedAt.set(e.executionId, callTime);
    orch.events.on("execution.started", onStart);
    const onStep = (e: { executionId: string; stepId: string }) => {
      const t = startedAt.get(e.executionId);
      if (t !== undefined && e.stepId === "only") {
        latencies.push(performance.now() - t);
        startedAt.delete(e.executionId);
      }
    };
    orch.events.on("step.started", onStep);
    const waits: Array<Promise<unknown>> = [];
    for (let i = 0; i < 300; i++) {
      callTime = performance.now();
      const { executionId } = await orch.startExecution("single", {}, { tenantId });
      waits.push(orch.waitForExecution(executionId, { tenantId }));
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await Promise.all(waits);
    orch.events.off("step.started", onStep);
    orch.events.off("execution.started", onStart);
    latencies.sort((a, b) => a - b);
    const startP50Ms = percentile(latencies, 50);
    const startP99Ms = percentile(latencies, 99);
    console.log(`${label}: start latency at 100 starts/s (${latencies.length} samples): p50 ${startP50Ms.toFixed(2)} ms, p99 ${startP99Ms.toFixed(2)} ms`);
    return { linearStepsPerSecond, fanExecutionsPerSecond, startP50Ms, startP99Ms };
  } finally {
    await orch.close();
    await db.cleanup();
  }
}
