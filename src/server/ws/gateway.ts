// The WebSocket gateway at /ws (seed 004): a `hello` handshake (protocol range, client, auth with
// the key) answered with the negotiated protocol; then RPC requests that run the same operations
// as REST through the same pipeline (also checked as `method:<name>`), and live execution and step
// events of the connection's tenant only.
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "@fastify/websocket";
import * as z from "zod";
import { SynergyMeshError, ValidationError } from "../../core/errors.js";
import { zodIssues } from "../../core/parse-input.js";
import type { EngineEventMap } from "../../engine/engine-events.js";
import type { Orchestrator } from "../../orchestrator.js";
import type { ApiPrincipal } from "../../tenancy/api-key-service.js";
import type { Logger } from "../../telemetry/logger.js";
import { bearerToken, UnauthenticatedError } from "../auth/authenticate.js";
import { toHttpError } from "../errors.js";
import type { HttpMetrics } from "../http-metrics.js";
import type { Operation } from "../operation.js";
import { isRawResult } from "../operation.js";
import { ForbiddenError, runOperation } from "../run-operation.js";
import { eventPayload, GATEWAY_EVENTS } from "./gateway-events.js";

export const SUPPORTED_PROTOCOLS = [1] as const;
const HELLO_TIMEOUT_MS = 10_000;

const helloSchema = z.object({
  type: z.literal("hello"),
  minProtocol: z.number().int().min(1),
  maxProtocol: z.number().int().min(1),
  client: z.object({ id: z.string().max(200), version: z.string().max(100).optional(), platform: z.string().max(100).optional(), mode: z.string().max(100).optional() }).optional(),
  auth: z.object({ key: z.string().max(200).optional(), token: z.string().max(200).optional(), tenant_id: z.string().max(200).optional() }).optional(),
});

const requestSchema = z.object({
  type: z.literal("req"),
  id: z.union([z.string().max(200), z.number()]),
  method: z.string().max(200),
  params: z.record(z.string(), z.unknown()).optional(),
});

interface GatewayOptions {
  version: string;
  metrics: HttpMetrics;
  logger?: Logger;
}

export function registerGateway(app: FastifyInstance, orch: Orchestrator, operations: readonly Operation[], options: GatewayOptions): void {
  const byName = new Map(operations.map((op) => [op.name, op]));
  app.get("/ws", { websocket: true, schema: { hide: true } }, (socket, request) => {
    options.metrics.wsConnections.inc();
    const connection = new GatewayConnection(socket, orch, byName, options, { authorization: request.headers.authorization, ip: request.ip });
    socket.on("close", () => {
      options.metrics.wsConnections.dec();
      connection.close();
    });
  });
}

class GatewayConnection {
  #socket: WebSocket;
  #orch: Orchestrator;
  #operations: Map<string, Operation>;
  #options: GatewayOptions;
  #upgrade: { authorization: string | undefined; ip: string };
  #principal: ApiPrincipal | undefined;
  /** The presented key: checked again for every request and event, so revocation ends the session. */
  #key = "";
  #tenantId: string | undefined;
  #helloTimer: NodeJS.Timeout;
  #unsubscribe: Array<() => void> = [];
  /** Events pass a policy check each; the chain keeps them in the order they happened. */
  #eventChain: Promise<void> = Promise.resolve();
  #busy: Promise<unknown> = Promise.resolve();

  constructor(socket: WebSocket, orch: Orchestrator, operations: Map<string, Operation>, options: GatewayOptions, upgrade: { authorization: string | undefined; ip: string }) {
    this.#socket = socket;
    this.#orch = orch;
    this.#operations = operations;
    this.#options = options;
    this.#upgrade = upgrade;
    this.#helloTimer = setTimeout(() => this.#fail(new UnauthenticatedError(`no hello within ${HELLO_TIMEOUT_MS / 1000} s`), 4401), HELLO_TIMEOUT_MS);
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      // Handshake first, then requests in arrival order per connection.
      this.#busy = this.#busy.then(() => this.#onMessage(isBinary ? "" : data.toString("utf8"))).catch((error: unknown) => this.#options.logger?.error({ err: error }, "gateway message failed"));
    });
  }

  close(): void {
    clearTimeout(this.#helloTimer);
    for (const off of this.#unsubscribe) off();
    this.#unsubscribe = [];
  }

  async #onMessage(text: string): Promise<void> {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.#send({ type: "error", error: toHttpError(new ValidationError([{ path: "(message)", message: "must be a JSON text frame" }])).body.error });
      return;
    }
    if (!this.#principal) return this.#hello(message);
    const parsed = requestSchema.safeParse(message);
    if (!parsed.success) {
      const id = (message as { id?: unknown } | null)?.id;
      this.#send({ type: "res", id: typeof id === "string" || typeof id === "number" ? id : null, ok: false, error: toHttpError(new ValidationError(zodIssues(parsed.error))).body.error });
      return;
    }
    await this.#request(parsed.data);
  }

  async #hello(message: unknown): Promise<void> {
    const parsed = helloSchema.safeParse(message);
    if (!parsed.success) return this.#fail(new ValidationError(zodIssues(parsed.error), "The first message must be a hello: { type: 'hello', minProtocol, maxProtocol, client, auth: { key } }"), 1008);
    const hello = parsed.data;
    const protocol = [...SUPPORTED_PROTOCOLS].reverse().find((p) => p >= hello.minProtocol && p <= hello.maxProtocol);
    if (protocol === undefined) return this.#fail(new ValidationError([{ path: "maxProtocol", message: `this server speaks protocol ${SUPPORTED_PROTOCOLS.join(", ")}` }]), 1002);
    const key = hello.auth?.key ?? hello.auth?.token ?? bearerToken(this.#upgrade.authorization);
    const principal = key ? await this.#orch.authenticateApiKey(key) : undefined;
    if (!principal) return this.#fail(new UnauthenticatedError(key ? "The API key is unknown, revoked or expired" : "hello.auth.key is required"), 4401);
    const requested = hello.auth?.tenant_id;
    if (principal.tenantId !== null && requested !== undefined && requested !== principal.tenantId) return this.#fail(new ForbiddenError("This API key belongs to another tenant"), 4403);
    const tenantId = principal.tenantId ?? requested;
    if (tenantId !== undefined) {
      try {
        await this.#orch.admitRequest(tenantId);
      } catch (error) {
        return this.#fail(error, 4403);
      }
    }
    clearTimeout(this.#helloTimer);
    this.#key = key as string;
    this.#principal = principal;
    this.#tenantId = tenantId;
    this.#subscribe();
    this.#send({ type: "hello-ok", protocol, server: { name: "synergymesh", version: this.#options.version }, tenant_id: tenantId ?? null, role: principal.role, methods: [...this.#operations.keys()], events: GATEWAY_EVENTS });
  }

  /** False (and the connection closing) when the key was revoked or expired since the hello. */
  async #stillValid(): Promise<boolean> {
    if (await this.#orch.authenticateApiKey(this.#key)) return true;
    this.#fail(new UnauthenticatedError("The API key was revoked or expired"), 4401);
    this.close();
    return false;
  }

  async #request(req: z.output<typeof requestSchema>): Promise<void> {
    if (!(await this.#stillValid())) return;
    const op = this.#operations.get(req.method);
    if (!op) {
      this.#send({ type: "res", id: req.id, ok: false, error: { code: "NOT_FOUND", message: `Unknown method ${JSON.stringify(req.method)}; the hello-ok lists the methods` } });
      return;
    }
    const { body, idempotencyKey, tenant_id: _ignored, ...rest } = req.params ?? {};
    const pathNames = [...op.path.matchAll(/:([A-Za-z_]+)/g)].map((m) => m[1] as string);
    const params: Record<string, unknown> = {};
    const query: Record<string, unknown> = {};
    // Path parameters by name; every other field is a query field; `body` is the body.
    for (const [k, v] of Object.entries(rest)) (pathNames.includes(k) ? params : query)[k] = typeof v === "number" || typeof v === "boolean" ? String(v) : v;
    try {
      const outcome = await runOperation(
        this.#orch,
        op,
        { principal: this.#principal as ApiPrincipal, requestedTenant: this.#principal?.tenantId === null ? this.#tenantId : undefined, idempotencyKey: typeof idempotencyKey === "string" ? idempotencyKey : undefined, rpc: true, facts: { ip: this.#upgrade.ip, transport: "websocket" } },
        { params, query, body },
      );
      const payload = isRawResult(outcome.result) ? { content_type: outcome.result.contentType, body: outcome.result.body } : outcome.result;
      this.#send({ type: "res", id: req.id, ok: true, payload });
    } catch (error) {
      const mapped = toHttpError(error);
      if (mapped.unexpected) this.#options.logger?.error({ err: error, method: req.method }, "gateway request failed unexpectedly");
      this.#send({ type: "res", id: req.id, ok: false, error: { ...mapped.body.error, status: mapped.status } });
    }
  }

  #subscribe(): void {
    const events = this.#orch.events;
    for (const name of GATEWAY_EVENTS) {
      const listener = (event: EngineEventMap[typeof name][0]) => {
        // Only the connection's tenant (the admin without a tenant sees every tenant).
        if (this.#tenantId !== undefined && event.tenantId !== this.#tenantId) return;
        this.#eventChain = this.#eventChain.then(async () => {
          if (!(await this.#stillValid())) return;
          const principal = this.#principal as ApiPrincipal;
          const allowed = await this.#orch.evaluatePolicy({ tenantId: event.tenantId, principal: { id: principal.keyId, role: principal.role }, action: "read", resource: `execution:${event.executionId}`, context: { ip: this.#upgrade.ip, transport: "websocket" } });
          if (allowed.allowed) this.#send({ type: "event", event: name, payload: eventPayload(event) });
        });
      };
      events.on(name, listener as never);
      this.#unsubscribe.push(() => events.off(name, listener as never));
    }
  }

  #fail(error: unknown, closeCode: number): void {
    clearTimeout(this.#helloTimer);
    const mapped = toHttpError(error instanceof SynergyMeshError ? error : new UnauthenticatedError("handshake failed"));
    this.#send({ type: "error", error: { ...mapped.body.error, status: mapped.status } });
    this.#socket.close(closeCode, mapped.body.error.code);
  }

  #send(message: unknown): void {
    if (this.#socket.readyState === this.#socket.OPEN) this.#socket.send(JSON.stringify(message));
  }
}
