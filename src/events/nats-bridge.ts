// NATS in and out (@nats-io/transport-node). In: each configured subject is either bound to one
// tenant (seed 003's `internal.event.critical`) or has the form `tenants.<tenant_id>.events.<name>`,
// where the tenant is read from the subject, never from the message, so a sender on one tenant's
// subject cannot reach another tenant. Subscriptions share a queue group: one node handles each
// message. Out: execution lifecycle events, when a subject prefix is configured.
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { connect } from "@nats-io/transport-node";
import { ConfigError, errorMessage } from "../core/errors.js";
import { isTenantId } from "../core/ids.js";
import type { Logger } from "../telemetry/logger.js";
import type { EventInput } from "./tenant-event.js";
import { EVENT_NAME } from "./tenant-event.js";

export interface NatsSubscriptionOptions {
  /** A NATS subject (wildcards allowed). Without `tenantId` it must be `tenants.*.events.<...>`. */
  subject: string;
  /** The tenant every message on this subject belongs to. */
  tenantId?: string;
}

export interface NatsOptions {
  /** `127.0.0.1:4222`, `nats://host:4222`, or several. */
  servers: string | string[];
  subscriptions?: NatsSubscriptionOptions[];
  /** Queue group of the subscriptions (default `synergymesh`): one node per message. */
  queue?: string;
  /** Publish `<prefix>.<tenant>.execution.started|finished` (JSON) when set, e.g. `synergymesh`. */
  lifecycleSubjectPrefix?: string;
  /** Connection name shown by the NATS server (default `synergymesh`). */
  name?: string;
}

export type NatsPublishEvent = (tenantId: string, input: EventInput, source: string) => Promise<unknown>;

const TENANT_SUBJECT = /^tenants\.\*\.events\.(.+)$/;

export function checkNatsOptions(options: NatsOptions): void {
  const servers = Array.isArray(options.servers) ? options.servers : [options.servers];
  if (servers.length === 0 || servers.some((s) => typeof s !== "string" || s.trim() === "")) throw new ConfigError("nats.servers", "must name at least one server such as 127.0.0.1:4222");
  (options.subscriptions ?? []).forEach((sub, i) => {
    if (typeof sub.subject !== "string" || sub.subject.trim() === "" || /\s/.test(sub.subject)) throw new ConfigError(`nats.subscriptions[${i}].subject`, "must be a NATS subject without spaces");
    if (sub.tenantId !== undefined && !isTenantId(sub.tenantId)) throw new ConfigError(`nats.subscriptions[${i}].tenantId`, "must be a tenant id (tenant-<12 hex> or default)");
    if (sub.tenantId === undefined && !TENANT_SUBJECT.test(sub.subject)) throw new ConfigError(`nats.subscriptions[${i}]`, "a subject not bound to a tenant must have the form tenants.*.events.<name or wildcard>, so the tenant comes from the subject");
  });
  if (options.lifecycleSubjectPrefix !== undefined && !/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(options.lifecycleSubjectPrefix)) throw new ConfigError("nats.lifecycleSubjectPrefix", "must be subject tokens such as synergymesh");
}

export class NatsBridge {
  #nc: NatsConnection;
  #subs: Subscription[] = [];
  #inFlight = new Set<Promise<unknown>>();
  #prefix: string | undefined;
  #logger: Logger;

  private constructor(nc: NatsConnection, options: NatsOptions, logger: Logger) {
    this.#nc = nc;
    this.#prefix = options.lifecycleSubjectPrefix;
    this.#logger = logger;
  }

  static async connect(options: NatsOptions, publish: NatsPublishEvent, logger: Logger): Promise<NatsBridge> {
    checkNatsOptions(options);
    const nc = await connect({ servers: options.servers, name: options.name ?? "synergymesh" });
    const bridge = new NatsBridge(nc, options, logger);
    for (const sub of options.subscriptions ?? []) {
      bridge.#subs.push(
        nc.subscribe(sub.subject, {
          queue: options.queue ?? "synergymesh",
          callback: (error, msg) => {
            if (error) return logger.warn({ err: error, subject: sub.subject }, "NATS subscription error");
            bridge.#track(bridge.#receive(sub, msg.subject, msg.data, publish));
          },
        }),
      );
    }
    // The subscriptions are registered at the server before open() returns.
    await nc.flush();
    return bridge;
  }

  async #receive(sub: NatsSubscriptionOptions, subject: string, data: Uint8Array, publish: NatsPublishEvent): Promise<void> {
    try {
      const routed = routeMessage(sub, subject, data);
      await publish(routed.tenantId, routed.event, `nats:${subject}`);
    } catch (error) {
      // A bad message is dropped with a log line; it never stops the subscription or the process.
      this.#logger.warn({ subject, error: errorMessage(error) }, "NATS event dropped");
    }
  }

  /** Publishes an execution lifecycle event when a prefix is configured. */
  publishLifecycle(tenantId: string, kind: string, data: Record<string, unknown>): void {
    if (this.#prefix === undefined || this.#nc.isClosed()) return;
    this.#nc.publish(`${this.#prefix}.${tenantId}.${kind}`, JSON.stringify({ type: kind, tenant_id: tenantId, ...data }));
  }

  /** Stops receiving, waits for messages being handled, flushes what was published, and closes. */
  async close(): Promise<void> {
    for (const sub of this.#subs) sub.unsubscribe();
    await Promise.allSettled([...this.#inFlight]);
    if (!this.#nc.isClosed()) {
      await this.#nc.flush().catch(() => {});
      await this.#nc.close();
    }
  }

  #track(promise: Promise<unknown>): void {
    this.#inFlight.add(promise);
    void promise.finally(() => this.#inFlight.delete(promise));
  }
}

/** The tenant and event a message on `subject` carries. Throws on a message that cannot be read. */
export function routeMessage(sub: NatsSubscriptionOptions, subject: string, data: Uint8Array): { tenantId: string; event: EventInput } {
  let tenantId: string;
  let nameFromSubject: string;
  if (sub.tenantId !== undefined) {
    tenantId = sub.tenantId;
    nameFromSubject = subject;
  } else {
    const tokens = subject.split(".");
    if (tokens.length < 4 || tokens[0] !== "tenants" || tokens[2] !== "events") throw new Error(`subject ${subject} is not tenants.<tenant_id>.events.<name>`);
    tenantId = tokens[1] as string;
    if (!isTenantId(tenantId)) throw new Error(`subject ${subject} names no valid tenant id`);
    nameFromSubject = tokens.slice(3).join(".");
  }
  const text = Buffer.from(data).toString("utf8");
  const body: unknown = text.trim() === "" ? {} : JSON.parse(text);
  if (body === null || typeof body !== "object" || Array.isArray(body)) throw new Error("the message is not a JSON object");
  const record = body as Record<string, unknown>;
  // `{ name, payload, id }` is an event; any other object is the payload of an event named after
  // the subject. A tenant named inside the message is ignored: the subject decides.
  const wrapped = record.payload !== null && typeof record.payload === "object" && !Array.isArray(record.payload);
  const name = wrapped && typeof record.name === "string" ? record.name : EVENT_NAME.test(nameFromSubject) ? nameFromSubject : "nats.event";
  const event: EventInput = { name, payload: wrapped ? (record.payload as Record<string, unknown>) : record };
  if (typeof record.id === "string") event.id = record.id;
  return { tenantId, event };
}
