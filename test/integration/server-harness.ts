// A real listening server on a fresh orchestrator of one dialect, with the platform admin key and
// two tenants (A and B), each with an owner key; `call` speaks HTTP to it with fetch.
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { TenantTier } from "synergymesh";
import type { OrchestratorOptions } from "synergymesh";
import { openTestOrchestrator } from "synergymesh/testing";
import type { DialectName, TestOrchestrator } from "synergymesh/testing";
import { createServer } from "../../src/server/create-server.js";
import type { ServerOptions } from "../../src/server/create-server.js";

export interface Harness {
  t: TestOrchestrator;
  app: FastifyInstance;
  base: string;
  adminKey: string;
  a: { id: string; key: string };
  b: { id: string; key: string };
  // Answers are arbitrary JSON that each test inspects field by field.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call(method: string, path: string, options?: { key?: string | null; body?: unknown; headers?: Record<string, string>; raw?: string }): Promise<{ status: number; body: any; text: string; headers: Headers }>;
  close(): Promise<void>;
}

export async function startHarness(dialect: DialectName, options: ServerOptions = {}, orchestratorOptions: OrchestratorOptions = {}): Promise<Harness> {
  const t = await openTestOrchestrator(dialect, orchestratorOptions);
  const admin = await t.orch.ensureAdminKey();
  const tenant = async (name: string) => {
    const id = await t.orch.createTenant(name, TenantTier.PROFESSIONAL);
    const key = (await t.orch.createApiKey(id, { name: "owner", role: "owner" })).key;
    return { id, key };
  };
  const a = await tenant("Tenant A");
  const b = await tenant("Tenant B");
  const app = await createServer(t.orch, options);
  await app.listen({ host: "127.0.0.1", port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const call: Harness["call"] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    const key = opts.key === undefined ? a.key : opts.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let payload: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers["content-type"] ??= "application/json";
    }
    const res = await fetch(base + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON (CSV, Prometheus text): `text` has it.
    }
    return { status: res.status, body, text, headers: res.headers };
  };
  return {
    t,
    app,
    base,
    adminKey: admin.key as string,
    a,
    b,
    call,
    close: async () => {
      await app.close();
      await t.dispose();
    },
  };
}

/** A one-step workflow that finishes at once: a sandboxed script echoing `input.n`. */
export const ONE_STEP = {
  name: "one step",
  version: "1.0",
  variables: { n: 0 },
  steps: [{ id: "only", type: "script", config: { code: "console.log(\"n is\", input.n); return { ok: true, n: input.n ?? 0 };" }, input_mapping: { n: "{{input.n}}" } }],
};

/** Resolves with the first event of that name the predicate accepts (subscribe before causing it). */
export function nextEvent<N extends "execution.started" | "execution.finished" | "step.started" | "step.finished">(h: Harness, name: N, accept: (event: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    const listener = (event: Record<string, unknown>) => {
      if (!accept(event)) return;
      h.t.orch.events.off(name, listener as never);
      resolve(event);
    };
    h.t.orch.events.on(name, listener as never);
  });
}
