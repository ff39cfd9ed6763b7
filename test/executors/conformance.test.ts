// The executor conformance suite (STYLE 11): every built-in step type in test/executors/conformance/
// cases.ts goes through the same concerns: it completes, a step timeout and a cancellation abort a
// running attempt, a transient failure is retried, the idempotency key reaches the peer, secrets
// never show in outputs, errors or logs, and tenant-given addresses pass the egress policy.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { after, before, beforeEach, describe, test } from "node:test";
import { openTestOrchestrator } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";
import { sendJson, startLocalServer } from "../net/local-http-server.js";
import type { LocalServer } from "../net/local-http-server.js";
import { CASES } from "./conformance/cases.js";
import { startLocalSmtpServer } from "./local-smtp-server.js";
import { startHttpMcpServer } from "./mcp/test-mcp-server.js";
import type { LocalSmtpServer } from "./local-smtp-server.js";
import type { ConformanceCase } from "./conformance/cases.js";

const SECRET = "cf-secret-7d41e09b5a";

describe("executor conformance", () => {
  let t: TestOrchestrator;
  let server: LocalServer;
  let smtp: LocalSmtpServer;
  let dir: string;
  let mcpServer: Awaited<ReturnType<typeof startHttpMcpServer>>;
  const mcp: { onCall?: (tool: string) => void; onHangCancelled?: () => void } = {};
  let names = 0;

  before(async () => {
    server = await startLocalServer();
    smtp = await startLocalSmtpServer();
    mcpServer = await startHttpMcpServer({ onCall: (tool) => mcp.onCall?.(tool), onHangCancelled: () => mcp.onHangCancelled?.() });
    dir = mkdtempSync(join(tmpdir(), "conformance-"));
    new Database(join(dir, "conformance.db")).close();
    // Tenant-given URLs may reach the local peer and nothing else private.
    t = await openTestOrchestrator("sqlite", { leaseMs: 60_000, egress: { allow: ["127.0.0.1"] }, commands: { programs: { echo: "/usr/bin/echo", sleep: "/usr/bin/sleep", printenv: "/usr/bin/printenv" } },
      // An operator-configured agent service on the local peer, its key in a tenant secret.
      smtp: { host: "127.0.0.1", port: smtp.port, from: "SynergyMesh <noreply@synergymesh.test>", timeoutMs: 10_000 },
      databases: { conformance: { url: join(dir, "conformance.db") } },
      agents: { conformance: { baseUrl: server.origin, apiKeySecret: "conformance_token", pollIntervalMs: 0, egress: { allow: ["127.0.0.1"] } } },
    });
    await t.orch.setSecret("conformance_token", SECRET);
  });
  after(async () => {
    await server.close();
    await smtp.close();
    await mcpServer.close();
    await t.dispose();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => {
    server.requests.length = 0;
    server.handle((_, res) => sendJson(res, 200, { ok: true }));
    smtp.messages.length = 0;
    smtp.holdData = false;
    smtp.onRecipient = () => undefined;
    delete mcp.onCall;
    delete mcp.onHangCancelled;
  });

  async function start(c: ConformanceCase, config: Record<string, unknown>, step: Record<string, unknown> = {}, input: Record<string, unknown> = { n: 21 }) {
    for (const workflow of c.workflows ?? []) await t.orch.registerWorkflow(workflow);
    const id = `conf-${(c.label ?? c.type).replace(/[^a-z]+/g, "-")}-${++names}`;
    await t.orch.registerWorkflow({ id, name: id, steps: [{ id: "step", type: c.type, config, ...step }] });
    const started = t.orch.startExecution(id, { base: server.origin, mcp: mcpServer.url, ...input });
    return (await started).executionId;
  }

  // Every execution whose step had an attempt start (the event can come before start() returns).
  const started = new Set<string>();
  const waiters = new Map<string, () => void>();
  before(() =>
    t.orch.events.on("step.started", (e) => {
      started.add(e.executionId);
      waiters.get(e.executionId)?.();
    }),
  );

  /** Resolves when the execution's step has an attempt running. */
  function running(executionId: string) {
    return started.has(executionId) ? Promise.resolve() : new Promise<void>((resolve) => waiters.set(executionId, resolve));
  }

  async function everythingSaid(executionId: string): Promise<string> {
    const [details, logs] = await Promise.all([t.orch.getExecution(executionId), t.orch.getExecutionLogs(executionId)]);
    return JSON.stringify({ details, logs });
  }

  for (const c of CASES) {
    describe(c.label ?? c.type, () => {
      test("completes with its output", async () => {
        c.ok.arrange?.({ server, smtp, mcp });
        const executionId = await start(c, c.ok.config);
        await c.ok.act?.(t, executionId);
        const done = await t.orch.waitForExecution(executionId);
        assert.equal(done.status, "completed", done.steps[0]?.error ?? "");
        c.ok.check(done.steps[0]?.output);
      });

      const hang = c.hang;
      if ("notApplicable" in hang) {
        notApplicable("step timeout and cancellation", hang.notApplicable);
      } else {
        test("a step timeout aborts the running attempt: timed_out, and the peer is let go", async () => {
          const peer = hang.arrange?.({ server, smtp, mcp });
          const executionId = await start(c, hang.config, { timeout: "5s" });
          await running(executionId);
          await peer?.arrived;
          const timeout = await t.clock.timerOf(5_000);
          await t.clock.advance(timeout.at - t.clock.now());
          const done = await t.orch.waitForExecution(executionId);
          assert.equal(done.steps[0]?.status, "timed_out", done.steps[0]?.error ?? "");
          assert.equal(done.status, "failed", "a step that timed out fails the execution");
          await peer?.released;
        });

        test("cancelling the execution aborts the running attempt", async () => {
          const peer = hang.arrange?.({ server, smtp, mcp });
          const executionId = await start(c, hang.config);
          await running(executionId);
          await peer?.arrived;
          await t.orch.cancelExecution(executionId);
          const done = await t.orch.waitForExecution(executionId);
          assert.equal(done.status, "cancelled");
          assert.equal(done.steps[0]?.status, "cancelled");
          await peer?.released;
          await t.orch.getExecution(executionId);
        });
      }

      const transient = c.transient;
      if ("notApplicable" in transient) {
        notApplicable("retries of a transient failure", transient.notApplicable);
      } else {
        test("a transient failure is retried by the step's retry policy, then succeeds", async () => {
          transient.arrange({ server, smtp, mcp });
          const executionId = await start(c, transient.config, { retry: { max_attempts: 2, initial_delay: "1s" } });
          const backoff = await t.clock.timerOf(1_000);
          await t.clock.advance(backoff.at - t.clock.now());
          const done = await t.orch.waitForExecution(executionId);
          assert.equal(done.status, "completed", done.steps[0]?.error ?? "");
          assert.equal(done.steps[0]?.attempts, 2);
        });
      }

      const idempotency = c.idempotency;
      if ("notApplicable" in idempotency) {
        notApplicable("the idempotency key", idempotency.notApplicable);
      } else {
        test("the peer sees the attempt's idempotency key {execution}:{step}:{attempt}", async () => {
          idempotency.arrange?.({ server, smtp, mcp });
          const executionId = await start(c, idempotency.config);
          const done = await t.orch.waitForExecution(executionId);
          assert.equal(done.status, "completed", done.steps[0]?.error ?? "");
          assert.equal(idempotency.observed({ server, smtp, mcp }), `${executionId}:step:0${idempotency.suffix ?? ""}`);
        });
      }

      const secret = c.secret;
      if ("notApplicable" in secret) {
        notApplicable("secrets", secret.notApplicable);
      } else {
        test("a secret is used but never shows in the output, errors or logs", async () => {
          secret.arrange?.({ server, smtp, mcp });
          const ok = await start(c, secret.config);
          assert.equal((await t.orch.waitForExecution(ok)).status, "completed");
          // And when the attempt fails, its error does not carry the secret either.
          server.handle((request, res) => sendJson(res, 500, { echoed: request.headers.authorization ?? null, body: request.body }));
          const failed = await start(c, secret.config);
          await t.orch.waitForExecution(failed);
          for (const executionId of [ok, failed]) {
            const said = await everythingSaid(executionId);
            assert.equal(said.includes(SECRET), false, `the secret shows in ${said.slice(0, 400)}`);
          }
        });
      }

      const egress = c.egress;
      if ("notApplicable" in egress) {
        notApplicable("the egress policy", egress.notApplicable);
      } else {
        test("a tenant-given address the egress policy refuses fails the step without a request", async () => {
          const executionId = await start(c, egress.config);
          const done = await t.orch.waitForExecution(executionId);
          assert.equal(done.status, "failed");
          assert.match(done.steps[0]?.error ?? "", /egress|not allowed|refused/i);
          assert.equal(done.steps[0]?.attempts, 1, "a refusal is not retried");
        });
      }
    });
  }
});

/** A concern that does not apply is listed in the report with its reason. */
function notApplicable(concern: string, reason: string): void {
  test(`${concern}: not applicable, because ${reason}`, () => {
    assert.ok(reason.trim().length > 10, "a reason is given");
  });
}
