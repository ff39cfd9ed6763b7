// The executor conformance cases: for every built-in step type, how to make it succeed, hang,
// fail once, show its idempotency key, carry a secret and reach a refused address. A concern that
// does not apply to a type says why (the suite asserts a reason is given, so none is skipped quietly).
import type { TestOrchestrator } from "synergymesh/testing";
import type { LocalServer } from "../../net/local-http-server.js";
import type { LocalSmtpServer } from "../local-smtp-server.js";
import { header, smtpError } from "../local-smtp-server.js";
import { sendJson } from "../../net/local-http-server.js";

export interface Peer {
  /** The local HTTP server every outbound type talks to. */
  server: LocalServer;
  /** The local SMTP server of `email` steps. */
  smtp: LocalSmtpServer;
  /** The local MCP server's events (its tools report calls and cancellations here). */
  mcp: { onCall?: (tool: string) => void; onHangCancelled?: () => void };
}

type NotApplicable = { notApplicable: string };

export interface ConformanceCase {
  type: string;
  /** How the suite names the case when one type has several (`script (python)`). */
  label?: string;
  /** Workflows the case needs besides its own (a subworkflow's child), as definition objects. */
  workflows?: object[];
  /** A config that completes (after `act`, if the step waits for one), and what its output must satisfy. */
  ok: { config: Record<string, unknown>; check: (output: unknown) => void; arrange?: (peer: Peer) => void; act?: (t: TestOrchestrator, executionId: string) => Promise<void> };
  /** A config whose attempt runs until aborted (for the step timeout and cancellation). */
  hang: { config: Record<string, unknown>; arrange?: (peer: Peer) => { arrived: Promise<void>; released: Promise<void> } } | NotApplicable;
  /** A config whose first attempt fails transiently and whose second succeeds. */
  transient: { config: Record<string, unknown>; arrange: (peer: Peer) => void } | NotApplicable;
  /** A config after which the peer saw the attempt's idempotency key. */
  idempotency: { config: Record<string, unknown>; arrange?: (peer: Peer) => void; observed: (peer: Peer) => string | undefined; suffix?: string } | NotApplicable;
  /** A config using `{{secrets.conformance_token}}` (and the peer echoing it back). */
  secret: { config: Record<string, unknown>; arrange?: (peer: Peer) => void } | NotApplicable;
  /** A config that sends a request to a tenant-given address the egress policy refuses. */
  egress: { config: Record<string, unknown> } | NotApplicable;
}

/** The peer takes the request and never answers; `released` when the caller drops the connection. */
const hangingServer = (peer: Peer) => {
  let arrive!: () => void;
  let release!: () => void;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  peer.server.handle((_, __, req) => {
    req.socket.once("close", () => release());
    arrive();
  });
  return { arrived, released };
};

const failOnce = (peer: Peer) => {
  let calls = 0;
  peer.server.handle((_, res) => (++calls === 1 ? sendJson(res, 503, { error: "busy" }) : sendJson(res, 200, { ok: true })));
};

const echoAuthorization = (peer: Peer) => peer.server.handle((request, res) => sendJson(res, 200, { echoed: request.headers.authorization ?? null }));

const idempotencyHeader = (peer: Peer) => {
  const value = peer.server.requests.at(-1)?.headers["idempotency-key"];
  return Array.isArray(value) ? value[0] : value;
};

const okServer = (peer: Peer) => peer.server.handle((_, res) => sendJson(res, 200, { ok: true }));

const DENIED = "http://169.254.169.254/latest/meta-data";

export const CASES: ConformanceCase[] = [
  {
    type: "http",
    ok: { config: { method: "POST", url: "{{input.base}}/ok", body: { a: 1 } }, arrange: okServer, check: (o) => assertField(o, "status_code", 200) },
    hang: { config: { url: "{{input.base}}/hang" }, arrange: hangingServer },
    transient: { config: { url: "{{input.base}}/flaky" }, arrange: failOnce },
    idempotency: { config: { method: "POST", url: "{{input.base}}/key", body: {} }, observed: idempotencyHeader },
    secret: { config: { url: "{{input.base}}/secure", headers: { Authorization: "Bearer {{secrets.conformance_token}}" } }, arrange: echoAuthorization },
    egress: { config: { url: DENIED } },
  },
  {
    type: "webhook",
    ok: { config: { url: "{{input.base}}/hook", payload: { event: "done" } }, arrange: okServer, check: (o) => assertField(o, "status_code", 200) },
    hang: { config: { url: "{{input.base}}/hang", payload: {} }, arrange: hangingServer },
    transient: { config: { url: "{{input.base}}/flaky", payload: {} }, arrange: failOnce },
    idempotency: {
      config: { url: "{{input.base}}/key", payload: {} },
      // Standard Webhooks carries the key as the message id.
      observed: (peer) => {
        const value = peer.server.requests.at(-1)?.headers["webhook-id"];
        return Array.isArray(value) ? value[0] : value;
      },
    },
    secret: { config: { url: "{{input.base}}/secure", payload: { token: "{{secrets.conformance_token}}" }, headers: { Authorization: "Bearer {{secrets.conformance_token}}" } }, arrange: echoAuthorization },
    egress: { config: { url: DENIED, payload: {} } },
  },
  {
    type: "notification",
    ok: { config: { channel: "webhook", url: "{{input.base}}/notify", message: "hello" }, arrange: okServer, check: (o) => assertField(o, "status_code", 200) },
    hang: { config: { channel: "webhook", url: "{{input.base}}/hang", message: "hello" }, arrange: hangingServer },
    transient: { config: { channel: "webhook", url: "{{input.base}}/flaky", message: "hello" }, arrange: failOnce },
    idempotency: { config: { channel: "webhook", url: "{{input.base}}/key", message: "hello" }, observed: idempotencyHeader },
    secret: { config: { channel: "webhook", url: "{{input.base}}/secure", message: "token {{secrets.conformance_token}}", headers: { Authorization: "Bearer {{secrets.conformance_token}}" } }, arrange: echoAuthorization },
    egress: { config: { channel: "webhook", url: DENIED, message: "hello" } },
  },
  {
    type: "script",
    ok: { config: { code: "return { doubled: input.n * 2 };", args: { n: 21 } }, check: (o) => assertField(o, "doubled", 42) },
    hang: { config: { code: "for (;;) {}", timeout: "1h" } },
    transient: { notApplicable: "a script is deterministic over its input: it has no transient failures, and a thrown error is not retried" },
    idempotency: { notApplicable: "a script has no peer to hand the key to (it has no host access)" },
    secret: { config: { code: "return { echoed: input.token };", args: { token: "{{secrets.conformance_token}}" } } },
    egress: { notApplicable: "a script has no network access at all (no fetch, no sockets)" },
  },
  {
    type: "wait",
    ok: { config: { duration: "0s" }, check: () => undefined },
    hang: { notApplicable: "a wait holds no attempt while it waits (it is a timed task); its duration is its limit" },
    transient: { notApplicable: "a wait cannot fail" },
    idempotency: { notApplicable: "a wait calls nothing" },
    secret: { notApplicable: "a wait's config takes only times" },
    egress: { notApplicable: "a wait calls nothing" },
  },
  {
    type: "decision",
    ok: { config: { conditions: [{ if: "input.n > 10", then: "big" }], default: "small" }, check: (o) => assertField(o, "value", "big") },
    hang: { notApplicable: "a decision evaluates an expression in microseconds and holds nothing" },
    transient: { notApplicable: "an expression has no transient failures" },
    idempotency: { notApplicable: "a decision calls nothing" },
    secret: { notApplicable: "expressions cannot read secrets (templates resolve them only in configs of calling types)" },
    egress: { notApplicable: "a decision calls nothing" },
  },
  {
    type: "approval",
    ok: {
      config: { message: "go?" },
      act: async (t, executionId) => {
        await until(async () => (await t.orch.getExecution(executionId)).steps[0]?.status === "waiting");
        await t.orch.decideApproval(executionId, "step", { approved: true, userId: "conformance" });
      },
      check: (o) => assertField(o, "approved", true),
    },
    hang: { notApplicable: "an approval waits as a timed task, holding no attempt; its own timeout bounds it" },
    transient: { notApplicable: "an approval's outcome is a person's decision" },
    idempotency: { notApplicable: "an approval calls nothing" },
    secret: { notApplicable: "an approval's message is shown to people: secrets do not belong in it" },
    egress: { notApplicable: "an approval calls nothing" },
  },
  {
    type: "condition",
    ok: { config: { expression: "input.n > 10" }, check: (o) => assertField(o, "result", true) },
    hang: { notApplicable: "a condition evaluates an expression in microseconds and holds nothing" },
    transient: { notApplicable: "an expression has no transient failures" },
    idempotency: { notApplicable: "a condition calls nothing" },
    secret: { notApplicable: "expressions cannot read secrets" },
    egress: { notApplicable: "a condition calls nothing" },
  },
  // Loop and parallel bodies are other step types run inside the step: the concerns must hold
  // through them (the body's key is the step's plus the iteration or branch index).
  {
    type: "loop",
    ok: { config: { items: [1, 2, 3], step: { type: "script", config: { code: "return input.item * 2;", args: { item: "{{loop.item}}" } } } }, check: (o) => assertField(o, "count", 3) },
    hang: { config: { items: [1], step: { type: "http", config: { url: "{{input.base}}/hang" } } }, arrange: hangingServer },
    transient: { config: { items: [1], step: { type: "http", config: { url: "{{input.base}}/flaky" } } }, arrange: failOnce },
    idempotency: { config: { items: [1], step: { type: "http", config: { method: "POST", url: "{{input.base}}/key", body: {} } } }, observed: idempotencyHeader, suffix: ":0" },
    secret: { config: { items: [1], step: { type: "http", config: { url: "{{input.base}}/secure", headers: { Authorization: "Bearer {{secrets.conformance_token}}" } } } }, arrange: echoAuthorization },
    egress: { config: { items: [1], step: { type: "http", config: { url: DENIED } } } },
  },
  {
    type: "parallel",
    ok: { config: { branches: [{ type: "script", config: { code: "return 1;" } }, { type: "script", config: { code: "return 2;" } }] }, check: (o) => assertField(o, "results", undefined, (v) => JSON.stringify(v) === "[1,2]") },
    hang: { config: { branches: [{ type: "http", config: { url: "{{input.base}}/hang" } }] }, arrange: hangingServer },
    transient: { config: { branches: [{ type: "http", config: { url: "{{input.base}}/flaky" } }] }, arrange: failOnce },
    idempotency: { config: { branches: [{ type: "http", config: { method: "POST", url: "{{input.base}}/key", body: {} } }] }, observed: idempotencyHeader, suffix: ":b0" },
    secret: { config: { branches: [{ type: "http", config: { url: "{{input.base}}/secure", headers: { Authorization: "Bearer {{secrets.conformance_token}}" } } }] }, arrange: echoAuthorization },
    egress: { config: { branches: [{ type: "http", config: { url: DENIED } }] } },
  },
  {
    type: "subworkflow",
    workflows: [{ id: "conformance-child", name: "conformance-child", steps: [{ id: "c", type: "script", config: { code: "return { child: input.n };" }, input_mapping: { n: "{{input.n}}" } }] }],
    ok: {
      config: { workflow_id: "conformance-child", input: { n: "{{input.n}}" } },
      // The parent checks its child every poll_interval (1 s) of the test's clock.
      act: async (t, executionId) => {
        while ((await t.orch.getExecution(executionId)).status !== "completed") await t.clock.advance((await t.clock.nextTimer()).delay);
      },
      check: (o) => assertField(o, "status", "completed"),
    },
    hang: { notApplicable: "a parent holds no attempt while its child runs (it checks the child as a timed task); the child's own steps are bounded by their timeouts" },
    transient: { notApplicable: "starting a child is a local commit; the child's steps have their own retries" },
    idempotency: { notApplicable: "the child is started once per attempt with the attempt's key as its idempotency key inside the store, not sent to a peer" },
    secret: { notApplicable: "the child resolves its own secrets in its own steps" },
    egress: { notApplicable: "starting a child calls nothing outside" },
  },
  {
    type: "llm",
    ok: { config: { base_url: "{{input.base}}/v1", model: "m", prompt: "hello" }, arrange: (peer) => chatServer(peer, () => "hi there"), check: (o) => assertField(o, "content", "hi there") },
    hang: { config: { base_url: "{{input.base}}/v1", model: "m", prompt: "hello" }, arrange: hangingServer },
    transient: {
      config: { base_url: "{{input.base}}/v1", model: "m", prompt: "hello" },
      arrange: (peer) => {
        let calls = 0;
        chatServer(peer, () => "ok", () => ++calls === 1);
      },
    },
    idempotency: { config: { base_url: "{{input.base}}/v1", model: "m", prompt: "hello" }, arrange: (peer) => chatServer(peer, () => "ok"), observed: idempotencyHeader },
    // The peer answers with the key it was sent, as a careless provider might in an error.
    secret: { config: { base_url: "{{input.base}}/v1", model: "m", prompt: "hello", api_key: "{{secrets.conformance_token}}" }, arrange: (peer) => chatServer(peer, (auth) => `you sent ${auth}`) },
    egress: { config: { base_url: "http://169.254.169.254/v1", model: "m", prompt: "hello" } },
  },
  {
    type: "command",
    ok: { config: { tool: "echo", args: ["hello", "{{input.n}}"] }, check: (o) => assertField(o, "stdout", "hello 21\n") },
    hang: { config: { tool: "sleep", args: ["3600"] } },
    transient: { notApplicable: "a local program's exit code is its own; a failing run is retried like any failure (command.test.ts), and no program here fails only once" },
    idempotency: { notApplicable: "a local program gets no key (it has no protocol for one); requests to the agent manager carry Idempotency-Key (command.test.ts)" },
    secret: { config: { tool: "printenv", args: ["TOKEN"], env: { TOKEN: "{{secrets.conformance_token}}" } } },
    egress: { notApplicable: "a local program is the operator's allow-listed binary, not a network call; the agent manager path passes the egress policy (command.test.ts)" },
  },
  {
    type: "script",
    label: "script (python)",
    ok: { config: { runtime: "python", code: "def main(input):\n    return {'doubled': input['n'] * 2}\n", args: { n: 21 } }, check: (o) => assertField(o, "doubled", 42) },
    hang: { config: { runtime: "python", code: "def main(input):\n    while True:\n        pass\n", timeout: "1h" } },
    transient: { notApplicable: "a script is deterministic over its input: it has no transient failures, and a raised error is not retried" },
    idempotency: { notApplicable: "a script has no peer to hand the key to (no network, no host access)" },
    secret: { config: { runtime: "python", code: "def main(input):\n    return {'echoed': input['token']}\n", args: { token: "{{secrets.conformance_token}}" } } },
    egress: { notApplicable: "a Python script has no network access (sockets and the js bridge are closed)" },
  },
  {
    type: "ai_analysis",
    ok: { config: { base_url: "{{input.base}}/v1", model: "m" }, arrange: (peer) => chatServer(peer, () => ROOT_CAUSE), check: (o) => assertField(o, "analysis", undefined, (a) => (a as { root_cause?: string }).root_cause === "OOM") },
    hang: { config: { base_url: "{{input.base}}/v1", model: "m" }, arrange: hangingServer },
    transient: {
      config: { base_url: "{{input.base}}/v1", model: "m" },
      arrange: (peer) => {
        let calls = 0;
        chatServer(peer, () => ROOT_CAUSE, () => ++calls === 1);
      },
    },
    idempotency: { config: { base_url: "{{input.base}}/v1", model: "m" }, arrange: (peer) => chatServer(peer, () => ROOT_CAUSE), observed: idempotencyHeader },
    secret: { config: { base_url: "{{input.base}}/v1", model: "m", api_key: "{{secrets.conformance_token}}" }, arrange: (peer) => chatServer(peer, (auth) => ROOT_CAUSE.replace("the container ran out of memory", `key ${auth}`)) },
    egress: { config: { base_url: "http://169.254.169.254/v1", model: "m" } },
  },
  {
    type: "agent",
    ok: { config: { agent_id: "conformance", task: "sum", input: { n: "{{input.n}}" } }, arrange: (peer) => agentServer(peer, () => ({ sum: 21 })), check: (o) => assertField(o, "sum", 21) },
    hang: { config: { agent_id: "conformance", task: "sum" }, arrange: hangingServer },
    transient: {
      config: { agent_id: "conformance", task: "sum" },
      arrange: (peer) => {
        let calls = 0;
        agentServer(peer, () => ({ sum: 1 }), () => ++calls === 1);
      },
    },
    idempotency: { config: { agent_id: "conformance", task: "sum" }, arrange: (peer) => agentServer(peer, () => ({})), observed: (peer) => (JSON.parse(peer.server.requests.at(-1)?.body ?? "{}") as { idempotency_key?: string }).idempotency_key },
    // The key comes from the tenant's secret named in the operator's agent config.
    secret: { config: { agent_id: "conformance", task: "sum" }, arrange: (peer) => agentServer(peer, (auth) => ({ echoed: auth })) },
    egress: { notApplicable: "an agent service is configured by the operator (trusted by config, with its own egress policy; agent.test.ts), not given by the tenant" },
  },
  {
    type: "email",
    ok: { config: { to: "ops@example.com", subject: "done", text: "n = {{input.n}}" }, check: (o) => assertField(o, "accepted", undefined, (v) => JSON.stringify(v) === '["ops@example.com"]') },
    hang: {
      config: { to: "ops@example.com", subject: "held", text: "never answered" },
      arrange: (peer) => {
        peer.smtp.holdData = true;
        const held = peer.smtp.held();
        return { arrived: held.arrived, released: held.closed };
      },
    },
    transient: {
      config: { to: "ops@example.com", subject: "retry", text: "again" },
      arrange: (peer) => {
        let calls = 0;
        peer.smtp.onRecipient = () => (++calls === 1 ? smtpError(451, "try again later") : undefined);
      },
    },
    idempotency: { config: { to: "ops@example.com", subject: "key", text: "k" }, observed: (peer) => header(peer.smtp.messages.at(-1)?.raw ?? "", "x-idempotency-key") },
    // The secret legitimately goes out in the mail; it must not come back in the output or logs.
    secret: { config: { to: "ops@example.com", subject: "token", text: "token {{secrets.conformance_token}}" } },
    egress: { notApplicable: "the SMTP server is configured by the operator (trusted by config, SPEC D Egress), not given by the tenant" },
  },
  {
    type: "database",
    ok: { config: { connection: "conformance", query: "SELECT ? + 1 AS v", params: ["{{input.n}}"] }, check: (o) => assertField(o, "rows", undefined, (rows) => JSON.stringify(rows) === '[{"v":22}]') },
    hang: { notApplicable: "SQLite is interrupted between rows and PostgreSQL by pg_cancel_backend: database.test.ts cancels and times out real long statements on both" },
    transient: { notApplicable: "a failed statement is retried by the step's policy like any error; no statement here fails only once" },
    idempotency: { notApplicable: "a database has no key header: inserts use the key through `idempotency_column` (database.test.ts)" },
    secret: { config: { connection: "conformance", query: "SELECT ? AS v", params: ["{{secrets.conformance_token}}"] } },
    egress: { notApplicable: "database connections are configured by the operator (trusted by config, SPEC D Egress), not given by the tenant" },
  },
  {
    type: "mcp",
    ok: { config: { url: "{{input.mcp}}", tool: "add", arguments: { a: 1, b: 2 } }, check: (o) => assertField(o, "content", undefined, (c) => JSON.stringify(c).includes("1 + 2 = 3")) },
    hang: {
      config: { url: "{{input.mcp}}", tool: "hang" },
      arrange: (peer) => {
        let arrive!: () => void;
        let release!: () => void;
        const arrived = new Promise<void>((resolve) => (arrive = resolve));
        const released = new Promise<void>((resolve) => (release = resolve));
        peer.mcp.onCall = (tool) => tool === "hang" && arrive();
        peer.mcp.onHangCancelled = () => release();
        return { arrived, released };
      },
    },
    transient: { notApplicable: "a tool error (isError) is the tool's answer and final; transport failures are retried like any error (mcp.test.ts)" },
    idempotency: { notApplicable: "MCP's tools/call has no idempotency field for the key to travel in" },
    secret: { config: { url: "{{input.mcp}}", tool: "create_session", arguments: { user_id: "{{secrets.conformance_token}}", agent_id: "a" } } },
    egress: { config: { url: "http://169.254.169.254/mcp", tool: "add", arguments: { a: 1, b: 2 } } },
  },
  {
    type: "remediation",
    ok: {
      config: { action_type: "echo", action: "patched", args: ["{{input.n}}"] },
      // It asks first (its default); an operator approves.
      act: async (t, executionId) => {
        await until(async () => (await t.orch.getExecution(executionId)).steps[0]?.status === "waiting");
        await t.orch.decideApproval(executionId, "step", { approved: true, userId: "conformance" });
      },
      check: (o) => assertField(o, "stdout", "patched 21\n"),
    },
    hang: { config: { action_type: "sleep", action: "3600", require_approval: false } },
    transient: { notApplicable: "its action is a command: a failing run is retried like any failure (command.test.ts); none here fails only once" },
    idempotency: { notApplicable: "a local program gets no key; the agent manager path carries Idempotency-Key (command.test.ts)" },
    secret: { config: { action_type: "printenv", action: "TOKEN", env: { TOKEN: "{{secrets.conformance_token}}" }, require_approval: false } },
    egress: { notApplicable: "its action is the operator's allow-listed program; the agent manager path passes the egress policy (command.test.ts)" },
  },
];

const ROOT_CAUSE = JSON.stringify({ root_cause: "OOM", confidence: 0.9, summary: "the container ran out of memory", evidence: ["OOMKilled"], recommended_action: "raise the limit" });

/** An agent service: `POST /tasks` answers `200 { output }` (or 503 while `fail()` says so). */
function agentServer(peer: Peer, output: (authorization: string) => unknown, fail: () => boolean = () => false): void {
  peer.server.handle((request, res) => (fail() ? sendJson(res, 503, { error: "busy" }) : sendJson(res, 200, { output: output(String(request.headers.authorization ?? "")) })));
}

/** A chat-completions endpoint: answers `reply(authorization)`, or 503 while `fail()` says so. */
function chatServer(peer: Peer, reply: (authorization: string) => string, fail: () => boolean = () => false): void {
  peer.server.handle((request, res) => {
    if (fail()) return sendJson(res, 503, { error: { message: "overloaded" } });
    const auth = String(request.headers.authorization ?? "");
    sendJson(res, 200, { id: "c1", object: "chat.completion", model: "m", choices: [{ index: 0, message: { role: "assistant", content: reply(auth) }, finish_reason: "stop" }], usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 } });
  });
}

function assertField(output: unknown, key: string, expected: unknown, test?: (value: unknown) => boolean): void {
  const value = (output as Record<string, unknown> | null)?.[key];
  if (test ? !test(value) : value !== expected) throw new Error(`output.${key} is ${JSON.stringify(value)}, expected ${test ? "something else" : JSON.stringify(expected)}`);
}

async function until(condition: () => Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setImmediate(resolve));
}
