// Standard Webhooks signing (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256>` of
// `${id}.${timestamp}.${body}`, keyed by the secret's bytes (`whsec_<base64>` is decoded).
import { createHmac, timingSafeEqual } from "node:crypto";
import { ValidationError } from "../../core/errors.js";

const SECRET_PREFIX = "whsec_";
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The HMAC key of a secret: the base64 part of `whsec_...`, otherwise the secret's UTF-8 bytes. */
export function webhookSecretKey(secret: string, path = "config.secret"): Buffer {
  if (secret === "") throw new ValidationError([{ path, message: "must not be empty" }]);
  if (!secret.startsWith(SECRET_PREFIX)) return Buffer.from(secret, "utf8");
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) throw new ValidationError([{ path, message: "a whsec_ secret must be followed by base64" }]);
  return Buffer.from(encoded, "base64");
}

/** The value of the `webhook-signature` header. */
export function signWebhook(key: Buffer, id: string, timestampSeconds: number, body: string): string {
  const digest = createHmac("sha256", key).update(`${id}.${timestampSeconds}.${body}`, "utf8").digest("base64");
  return `v1,${digest}`;
}

/**
 * A receiver's check of a Standard Webhooks delivery: one `v1,` signature in the header matches and
 * the timestamp is within `toleranceSeconds` of `nowSeconds` (replays of old deliveries fail).
 * Returns the reason it fails, or undefined when it holds.
 */
export function webhookSignatureProblem(key: Buffer, headers: Record<string, string | string[] | undefined>, body: string, nowSeconds: number, toleranceSeconds = 300): string | undefined {
  const one = (name: string) => {
    const value = headers[name] ?? headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  };
  const id = one("webhook-id");
  const timestamp = one("webhook-timestamp");
  const signatures = one("webhook-signature");
  if (!id || !timestamp || !signatures) return "the webhook-id, webhook-timestamp and webhook-signature headers are required";
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return `the webhook-timestamp is more than ${toleranceSeconds} s away from now`;
  const expected = Buffer.from(signWebhook(key, id, Number(timestamp), body).slice(3), "base64");
  const matches = signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    const given = Buffer.from(signature ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? undefined : "no signature in webhook-signature matches";
}
