// Verifies the signature of an incoming webhook over its raw body bytes: Standard Webhooks
// (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64> ...`, several signatures and
// several secrets during rotation, a timestamp tolerance) or one simple HMAC-SHA256 header.
// Comparisons are constant-time; any failure is UNAUTHENTICATED with a stable `details.reason`.
import { createHmac, timingSafeEqual } from "node:crypto";
import { SynergyMeshError } from "../../core/errors.js";
import { webhookSecretKey } from "../../executors/webhook/webhook-signature.js";
import type { WebhookSettings } from "../trigger-config.js";

export type SignatureFailure = "missing_signature" | "missing_headers" | "bad_timestamp" | "stale_timestamp" | "bad_signature";

export class WebhookSignatureError extends SynergyMeshError {
  constructor(reason: SignatureFailure, message: string) {
    super("UNAUTHENTICATED", message, { reason });
  }
}

/** Header lookup on lower-case names; a repeated header counts as its values joined by ", ". */
export type HeaderMap = Record<string, string | string[] | undefined>;

export function header(headers: HeaderMap, name: string): string | undefined {
  const value = headers[name] ?? Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** Throws WebhookSignatureError unless one of `secrets` signed `rawBody` as the settings say. */
export function verifyWebhookSignature(settings: WebhookSettings, secrets: string[], headers: HeaderMap, rawBody: Buffer, nowMs: number): void {
  if (settings.signature === "standard") verifyStandard(settings, secrets, headers, rawBody, nowMs);
  else verifyHmac(settings, secrets, headers, rawBody);
}

function verifyStandard(settings: WebhookSettings, secrets: string[], headers: HeaderMap, rawBody: Buffer, nowMs: number): void {
  const id = header(headers, "webhook-id");
  const timestamp = header(headers, "webhook-timestamp");
  const signatures = header(headers, settings.header);
  if (signatures === undefined || signatures.trim() === "") throw new WebhookSignatureError("missing_signature", `The ${settings.header} header is missing; this webhook must be signed (Standard Webhooks)`);
  if (id === undefined || timestamp === undefined) throw new WebhookSignatureError("missing_headers", "The webhook-id and webhook-timestamp headers are required with a Standard Webhooks signature");
  if (!/^\d{1,12}$/.test(timestamp)) throw new WebhookSignatureError("bad_timestamp", "webhook-timestamp must be whole seconds since the Unix epoch");
  const skewMs = Math.abs(nowMs - Number(timestamp) * 1000);
  // Outside the tolerance a captured delivery could be replayed: refuse it before any HMAC work.
  if (skewMs > settings.toleranceMs) throw new WebhookSignatureError("stale_timestamp", `webhook-timestamp is ${Math.round(skewMs / 1000)} s away from now; the tolerance is ${settings.toleranceMs / 1000} s`);
  // Signed content is `${id}.${timestamp}.${body}` over the body's raw bytes.
  const prefix = Buffer.from(`${id}.${timestamp}.`, "utf8");
  const expected = secrets.map((secret) => createHmac("sha256", webhookSecretKey(secret, "secret")).update(prefix).update(rawBody).digest());
  // The header lists space-separated `v1,<base64>` entries (several during a secret rotation).
  for (const entry of signatures.split(" ")) {
    const [version, value] = entry.split(",", 2);
    if (version !== "v1" || value === undefined) continue;
    const given = Buffer.from(value, "base64");
    if (expected.some((digest) => digest.length === given.length && timingSafeEqual(digest, given))) return;
  }
  throw new WebhookSignatureError("bad_signature", "No signature in webhook-signature matches the body with the trigger's secret");
}

function verifyHmac(settings: WebhookSettings, secrets: string[], headers: HeaderMap, rawBody: Buffer): void {
  const value = header(headers, settings.header);
  if (value === undefined || value.trim() === "") throw new WebhookSignatureError("missing_signature", `The ${settings.header} header is missing; this webhook must be signed with HMAC-SHA256`);
  for (const candidate of value.split(/,\s*|\s+/)) {
    if (!candidate.startsWith(settings.prefix)) continue;
    const encoded = candidate.slice(settings.prefix.length);
    const given = Buffer.from(encoded, settings.encoding);
    for (const secret of secrets) {
      const digest = createHmac("sha256", Buffer.from(secret, "utf8")).update(rawBody).digest();
      if (digest.length === given.length && timingSafeEqual(digest, given)) return;
    }
  }
  throw new WebhookSignatureError("bad_signature", `The ${settings.header} signature does not match the body with the trigger's secret`);
}
