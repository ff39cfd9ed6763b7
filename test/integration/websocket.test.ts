// The WebSocket gateway over a real listener: seed 004's hello (protocol negotiation, auth with the
// key), RPC requests checked like their REST twins and as `method:<name>`, and live events of the
// connection's own tenant only.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { WebSocket } from "undici";
import { DIALECTS } from "synergymesh/testing";
import type { Harness } from "./server-harness.js";
import { nextEvent, ONE_STEP, startHarness } from "./server-harness.js";

interface Frame {
  type: string;
  [key: string]: unknown;
}

/** A client that queues every frame so a test can wait for the next one matching a predicate. */
class Client {
  readonly ws: WebSocket;
  #frames: Frame[] = [];
  #waiters: Array<{ accept: (f: Frame) => boolean; resolve: (f: Frame) => void }> = [];
  closed: Promise<number>;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.closed = new Promise((resolve) => this.ws.addEventListener("close", (event) => resolve(event.code)));
    this.ws.addEventListener("message", (event) => {
      const frame = JSON.parse(String(event.data)) as Frame;
      const waiter = this.#waiters.find((w) => w.accept(frame));
      if (waiter) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
        waiter.resolve(frame);
      } else this.#frames.push(frame);
    });
  }

  open(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.ws.addEventListener("open", () => resolve(), { once: true });
      this.ws.addEventListener("error", reject, { once: true });
    });
  }

  send(message: unknown): void {
    this.ws.send(JSON.stringify(message));
  }

  next(accept: (f: Frame) => boolean = () => true): Promise<Frame> {
    const index = this.#frames.findIndex(accept);
    if (index >= 0) return Promise.resolve(this.#frames.splice(index, 1)[0] as Frame);
    return new Promise((resolve) => this.#waiters.push({ accept, resolve }));
  }

  frames(): Frame[] {
    return [...this.#frames];
  }

  async rpc(id: string, method: string, params?: Record<string, unknown>): Promise<Frame> {
    this.send({ type: "req", id, method, ...(params ? { params } : {}) });
    return this.next((f) => f.type === "res" && f.id === id);
  }
}

async function connect(h: Harness, key: string | undefined, extra: Record<string, unknown> = {}): Promise<{ client: Client; hello: Frame }> {
  const client = new Client(`${h.base.replace("http", "ws")}/ws`);
  await client.open();
  client.send({ type: "hello", minProtocol: 1, maxProtocol: 1, client: { id: "test", version: "1.0.0", platform: "node", mode: "test" }, auth: key ? { key } : {}, ...extra });
  return { client, hello: await client.next() };
}

for (const dialect of DIALECTS) {
  describe(`websocket gateway: ${dialect}`, () => {
    let h: Harness;
    before(async () => {
      h = await startHarness(dialect);
    });
    after(() => h.close());

    test("hello negotiates the protocol and names the key's tenant", async () => {
      const { client, hello } = await connect(h, h.a.key, { maxProtocol: 3 });
      assert.equal(hello.type, "hello-ok");
      assert.equal(hello.protocol, 1);
      assert.equal(hello.tenant_id, h.a.id);
      assert.ok((hello.methods as string[]).includes("workflows.list"));
      client.ws.close();
    });

    test("a bad key, a missing hello, a protocol gap or another tenant end the connection", async () => {
      const bad = await connect(h, "smk_" + "y".repeat(43));
      assert.equal((bad.hello.error as { code: string }).code, "UNAUTHENTICATED");
      assert.equal(await bad.client.closed, 4401);
      const gap = await connect(h, h.a.key, { minProtocol: 2, maxProtocol: 3 });
      assert.equal((gap.hello.error as { code: string }).code, "VALIDATION_FAILED");
      assert.equal(await gap.client.closed, 1002);
      const foreign = await connect(h, h.a.key, { auth: { key: h.a.key, tenant_id: h.b.id } });
      assert.equal((foreign.hello.error as { code: string }).code, "FORBIDDEN");
      const early = new Client(`${h.base.replace("http", "ws")}/ws`);
      await early.open();
      early.send({ type: "req", id: 1, method: "workflows.list" });
      assert.equal(((await early.next()).error as { code: string }).code, "VALIDATION_FAILED");
      assert.equal(await early.closed, 1008);
    });

    test("RPC runs the REST operations with the same checks, plus method:<name>", async () => {
      const { client } = await connect(h, h.a.key);
      const created = await client.rpc("1", "workflows.create", { body: { ...ONE_STEP, id: "via-ws" } });
      assert.equal(created.ok, true, JSON.stringify(created));
      const got = await client.rpc("2", "workflows.get", { id: "via-ws" });
      assert.equal((got.payload as { id: string }).id, "via-ws");
      const foreign = await client.rpc("3", "workflows.get", { id: "b-only" });
      assert.equal((foreign.error as { code: string }).code, "NOT_FOUND");
      const invalid = await client.rpc("4", "executions.list", { limit: 0 });
      assert.equal((invalid.error as { code: string }).code, "VALIDATION_FAILED");
      const unknown = await client.rpc("5", "nope.nothing");
      assert.equal((unknown.error as { code: string }).code, "NOT_FOUND");
      client.ws.close();

      // A policy on the method denies it over WebSocket; REST has no method resource and is unaffected.
      await h.t.orch.setPolicy(h.a.id, { name: "no-ws-list", statements: [{ effect: "deny", principals: ["role:viewer"], actions: ["*"], resources: ["method:workflows.list"] }] });
      const viewer = (await h.t.orch.createApiKey(h.a.id, { role: "viewer" })).key;
      const v = await connect(h, viewer);
      const denied = await v.client.rpc("6", "workflows.list");
      assert.equal((denied.error as { code: string }).code, "POLICY_DENIED");
      assert.equal((await v.client.rpc("7", "executions.list")).ok, true);
      const write = await v.client.rpc("8", "workflows.create", { body: { ...ONE_STEP, id: "viewer-made" } });
      assert.equal((write.error as { code: string }).code, "POLICY_DENIED", "a viewer cannot write over RPC either");
      assert.equal((await h.call("GET", "/api/v1/workflows", { key: viewer })).status, 200);
      v.client.ws.close();
    });

    test("a key revoked during a session ends it at its next request", async () => {
      const created = await h.t.orch.createApiKey(h.a.id, { role: "viewer" });
      const { client } = await connect(h, created.key);
      assert.equal((await client.rpc("1", "executions.list")).ok, true);
      await h.t.orch.revokeApiKey(h.a.id, created.keyId);
      client.send({ type: "req", id: "2", method: "executions.list" });
      const refused = await client.next((f) => f.type === "error");
      assert.equal((refused.error as { code: string }).code, "UNAUTHENTICATED");
      assert.equal(await client.closed, 4401);
    });

    test("live events reach the execution's own tenant only", async () => {
      await h.t.orch.registerWorkflow(ONE_STEP, { tenantId: h.a.id, workflowId: "evt" });
      await h.t.orch.registerWorkflow(ONE_STEP, { tenantId: h.b.id, workflowId: "evt" });
      const a = await connect(h, h.a.key);
      const b = await connect(h, h.b.key);
      const bDone = nextEvent(h, "execution.finished", (e) => e.tenantId === h.b.id);
      const bStarted = await h.t.orch.startExecution("evt", { n: 1 }, { tenantId: h.b.id });
      await bDone;
      const started = await h.t.orch.startExecution("evt", { n: 1 }, { tenantId: h.a.id });
      const finished = await a.client.next((f) => f.type === "event" && f.event === "execution.finished");
      assert.equal((finished.payload as { execution_id: string }).execution_id, started.executionId);
      assert.equal((finished.payload as { status: string }).status, "completed");
      // B saw its own run end; A never saw B's execution.
      const bFinished = await b.client.next((f) => f.type === "event" && f.event === "execution.finished");
      assert.equal((bFinished.payload as { execution_id: string }).execution_id, bStarted.executionId);
      assert.ok(a.client.frames().every((f) => (f.payload as { tenant_id?: string } | undefined)?.tenant_id !== h.b.id));
      assert.ok(b.client.frames().every((f) => (f.payload as { execution_id?: string } | undefined)?.execution_id !== started.executionId));
      a.client.ws.close();
      b.client.ws.close();
    });
  });
}
