// Workflow concurrency keys on SQLite and PostgreSQL: limit 1 serialises executions with the same
// rendered key (others run beside them), cancel_running cancels the holder, cancel_new cancels the
// newcomer; definitions are validated with the path of the bad field.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, test } from "node:test";
import { Orchestrator } from "synergymesh";
import { DIALECTS, tempDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";
import { silentLogger } from "../../src/telemetry/logger.js";

/** An orchestrator whose `hold` steps run until the test releases them by execution id. */
async function openHeld(db: TestDatabase) {
  const orch = await Orchestrator.open({ database: db.database, ...(db.schema ? { schema: db.schema } : {}), logger: silentLogger, auditKey: randomBytes(32), masterKey: randomBytes(32), pollMs: 20 });
  const release = new Map<string, () => void>();
  const running = new Set<string>();
  const waiters: Array<{ check: () => boolean; resolve: () => void }> = [];
  const notify = () => {
    for (const w of waiters.splice(0)) {
      if (w.check()) w.resolve();
      else waiters.push(w);
    }
  };
  orch.registerStepExecutor({
    type: "hold",
    execute: (ctx) =>
      new Promise((resolve, reject) => {
        running.add(ctx.executionId);
        notify();
        const done = () => {
          running.delete(ctx.executionId);
          notify();
        };
        release.set(ctx.executionId, () => {
          done();
          resolve({ ok: true });
        });
        ctx.signal.addEventListener("abort", () => {
          done();
          reject(ctx.signal.reason);
        });
      }),
  });
  const until = (check: () => boolean) => new Promise<void>((resolve) => (check() ? resolve() : waiters.push({ check, resolve })));
  return { orch, running, release: (id: string) => release.get(id)?.(), until };
}

const deploy = (strategy: string) => ({
  id: "deploy",
  name: "deploy",
  concurrency: { key: "deploy-{{input.service}}", limit: 1, strategy },
  steps: [{ id: "roll", type: "hold" }],
});

for (const dialect of DIALECTS) {
  describe(`${dialect}: concurrency keys`, () => {
    test("limit 1 (queue) serialises executions with the same key, in start order; another key runs beside them", async () => {
      const db = await tempDatabase(dialect);
      const { orch, running, release, until } = await openHeld(db);
      try {
        await orch.registerWorkflow(deploy("queue"));
        const api1 = (await orch.startExecution("deploy", { service: "api" })).executionId;
        const api2 = (await orch.startExecution("deploy", { service: "api" })).executionId;
        const api3 = (await orch.startExecution("deploy", { service: "api" })).executionId;
        const web = (await orch.startExecution("deploy", { service: "web" })).executionId;
        await until(() => running.has(api1) && running.has(web));
        assert.equal((await orch.getExecution(api2)).status, "pending", "the second api deploy waits for the key");
        release(api1);
        await until(() => running.has(api2));
        assert.equal(running.has(api3), false, "one api deploy at a time");
        assert.equal((await orch.getExecution(api3)).status, "pending");
        release(api2);
        await until(() => running.has(api3));
        release(api3);
        release(web);
        for (const id of [api1, api2, api3, web]) assert.equal((await orch.waitForExecution(id)).status, "completed");
      } finally {
        await orch.close();
        await db.cleanup();
      }
    });

    test("cancel_running: a new execution cancels the one holding the key and runs", async () => {
      const db = await tempDatabase(dialect);
      const { orch, running, release, until } = await openHeld(db);
      try {
        await orch.registerWorkflow(deploy("cancel_running"));
        const first = (await orch.startExecution("deploy", { service: "api" })).executionId;
        await until(() => running.has(first));
        const second = (await orch.startExecution("deploy", { service: "api" })).executionId;
        const ended = await orch.waitForExecution(first);
        assert.equal(ended.status, "cancelled");
        assert.match(ended.error ?? "", /cancel_running/);
        await until(() => running.has(second) && !running.has(first));
        release(second);
        assert.equal((await orch.waitForExecution(second)).status, "completed");
      } finally {
        await orch.close();
        await db.cleanup();
      }
    });

    test("cancel_new: a new execution ends cancelled at once while the key is held; the holder runs on", async () => {
      const db = await tempDatabase(dialect);
      const { orch, running, release, until } = await openHeld(db);
      try {
        await orch.registerWorkflow(deploy("cancel_new"));
        const first = (await orch.startExecution("deploy", { service: "api" })).executionId;
        await until(() => running.has(first));
        const second = (await orch.startExecution("deploy", { service: "api" })).executionId;
        const refused = await orch.getExecution(second);
        assert.equal(refused.status, "cancelled");
        assert.match(refused.error ?? "", /concurrency key "deploy-api" is held/);
        assert.equal(refused.steps[0]?.status, "skipped");
        const other = (await orch.startExecution("deploy", { service: "web" })).executionId;
        await until(() => running.has(other));
        release(first);
        release(other);
        assert.equal((await orch.waitForExecution(first)).status, "completed");
        assert.equal((await orch.waitForExecution(other)).status, "completed");
        const third = (await orch.startExecution("deploy", { service: "api" })).executionId;
        await until(() => running.has(third));
        release(third);
        assert.equal((await orch.waitForExecution(third)).status, "completed", "the key is free again once the holder ended");
      } finally {
        await orch.close();
        await db.cleanup();
      }
    });
  });
}

test("a concurrency block is validated with the path of the bad field", async () => {
  const db = await tempDatabase("sqlite");
  const { orch } = await openHeld(db);
  try {
    for (const [concurrency, path] of [
      [{ key: "k", strategy: "newest" }, "concurrency.strategy"],
      [{ key: "k", limit: 0 }, "concurrency.limit"],
      [{ key: "" }, "concurrency.key"],
    ] as const) {
      await assert.rejects(
        orch.registerWorkflow({ id: "bad", name: "bad", concurrency, steps: [{ id: "s", type: "hold" }] }),
        (e: Error & { code?: string }) => e.code === "VALIDATION_FAILED" && JSON.stringify(e).includes(path),
        path,
      );
    }
  } finally {
    await orch.close();
    await db.cleanup();
  }
});
