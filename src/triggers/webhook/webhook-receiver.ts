// Takes one webhook delivery for `/hooks/<tenant>/<path>`: finds the tenant's trigger, checks the
// method, size and (for public triggers) the trigger's own rate, verifies the signature, admits
// the request against the tenant's rate limit, and starts the workflow with the body and headers
// as input. A repeated `webhook-id` (or configured delivery header) returns the first execution.
import type { Clock } from "../../core/clock.js";
import { ConflictError, NotFoundError, SynergyMeshError } from "../../core/errors.js";
import type { TriggerStore } from "../../store/trigger-store.js";
import { SlidingWindowRateLimiter } from "../../tenancy/rate-limiter.js";
import { WEBHOOK_PATH, staticInput, webhookSettings } from "../trigger-config.js";
import type { TriggerStarter } from "../trigger-types.js";
import type { HeaderMap } from "./webhook-verifier.js";
import { header, verifyWebhookSignature } from "./webhook-verifier.js";

export interface WebhookDelivery {
  method: string;
  headers: HeaderMap;
  /** The body exactly as received: signatures are over these bytes. */
  rawBody: Buffer | string;
  /** The query string's values, if the server parsed them. */
  query?: Record<string, string | string[]>;
}

export interface WebhookResult {
  executionId: string;
  /** True when this delivery id was seen before: the first delivery's execution is returned. */
  duplicate: boolean;
  triggerId: string;
}

export interface WebhookLimits {
  /** Largest body of a signed delivery (bytes). */
  maxBodyBytes: number;
  /** Largest body of a delivery to a public (unsigned) trigger. */
  publicMaxBodyBytes: number;
  /** Deliveries per second one public trigger accepts. */
  publicRatePerSecond: number;
}

/** Headers that carry credentials or signatures: never copied into the execution's input. */
const WITHHELD_HEADERS = new Set(["authorization", "cookie", "proxy-authorization", "webhook-signature", "x-hub-signature", "x-hub-signature-256"]);

export class WebhookReceiver {
  #store: TriggerStore;
  #starter: TriggerStarter;
  #clock: Clock;
  #limits: WebhookLimits;
  #secret: (tenantId: string, name: string) => Promise<string | undefined>;
  #publicRate = new SlidingWindowRateLimiter();

  constructor(store: TriggerStore, starter: TriggerStarter, clock: Clock, limits: WebhookLimits, secret: (tenantId: string, name: string) => Promise<string | undefined>) {
    this.#store = store;
    this.#starter = starter;
    this.#clock = clock;
    this.#limits = limits;
    this.#secret = secret;
  }

  async deliver(tenantId: string, rawPath: string, delivery: WebhookDelivery): Promise<WebhookResult> {
    const path = typeof rawPath === "string" ? rawPath.replace(/^\/+/, "") : "";
    const trigger = WEBHOOK_PATH.test(path) ? await this.#store.findWebhookTrigger(tenantId, path) : undefined;
    if (!trigger) throw new NotFoundError("webhook", `/hooks/${tenantId}/${path}`);
    const settings = webhookSettings(trigger.config);
    const body = Buffer.isBuffer(delivery.rawBody) ? delivery.rawBody : Buffer.from(delivery.rawBody ?? "", "utf8");
    const method = String(delivery.method ?? "").toUpperCase();
    if (method !== settings.method) throw new SynergyMeshError("METHOD_NOT_ALLOWED", `This webhook accepts ${settings.method}, not ${method}`, { allowed: [settings.method] });
    const maxBytes = settings.public ? this.#limits.publicMaxBodyBytes : this.#limits.maxBodyBytes;
    if (body.length > maxBytes) throw new SynergyMeshError("PAYLOAD_TOO_LARGE", `The body is ${body.length} bytes; this webhook accepts at most ${maxBytes}`, { limit: maxBytes });
    if (!trigger.enabled) throw new ConflictError(`The webhook trigger ${trigger.triggerId} is disabled`, { triggerId: trigger.triggerId });
    if (settings.public) {
      // Anyone may call a public trigger: its own small rate keeps it from eating the tenant's.
      const decision = await this.#publicRate.tryAcquire(`${tenantId}:${trigger.triggerId}`, this.#limits.publicRatePerSecond, this.#clock.now());
      if (!decision.allowed) throw new SynergyMeshError("RATE_LIMITED", `This public webhook accepts ${this.#limits.publicRatePerSecond} deliveries per second; retry in ${decision.retryAfterMs} ms`, { retryAfterMs: decision.retryAfterMs, limit: this.#limits.publicRatePerSecond });
    } else {
      const secrets: string[] = [];
      for (const name of settings.secretNames) {
        const value = await this.#secret(tenantId, name);
        if (value !== undefined) secrets.push(value);
      }
      if (secrets.length === 0) throw new ConflictError(`The webhook's secret ${settings.secretNames.map((n) => JSON.stringify(n)).join(", ")} is not set for this tenant; set it with setSecret`, { secrets: settings.secretNames });
      verifyWebhookSignature(settings, secrets, delivery.headers ?? {}, body, this.#clock.now());
    }
    await this.#starter.admit(tenantId);
    const deliveryId = settings.dedupHeader !== undefined ? header(delivery.headers ?? {}, settings.dedupHeader) : undefined;
    const input = {
      ...staticInput(trigger.config),
      body: parseBody(body, header(delivery.headers ?? {}, "content-type")),
      headers: visibleHeaders(delivery.headers ?? {}, settings.header),
      method,
      path,
      query: delivery.query ?? {},
      ...(deliveryId !== undefined ? { webhook_id: deliveryId } : {}),
      trigger: { id: trigger.triggerId, type: "webhook" },
    };
    // Without a delivery id every delivery is new; with one, the same id gives the same execution.
    const key = deliveryId !== undefined ? `webhook:${trigger.triggerId}:${deliveryId}` : `webhook:${trigger.triggerId}:${crypto.randomUUID()}`;
    const started = await this.#starter.start(tenantId, trigger.workflowId, input, key);
    return { executionId: started.executionId, duplicate: !started.created, triggerId: trigger.triggerId };
  }
}

function parseBody(body: Buffer, contentType: string | undefined): unknown {
  const text = body.toString("utf8");
  if (text === "") return null;
  if (contentType === undefined || /json/i.test(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (/application\/x-www-form-urlencoded/i.test(contentType)) return Object.fromEntries(new URLSearchParams(text));
  return text;
}

function visibleHeaders(headers: HeaderMap, signatureHeader: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (value === undefined || WITHHELD_HEADERS.has(key) || key === signatureHeader) continue;
    out[key] = Array.isArray(value) ? value.join(", ") : value;
  }
  return out;
}
