// Standard Webhooks signing (standardwebhooks.com): `webhook-signature: v1,<base64 HMAC-SHA256>` of
// `${id}.${timestamp}.${body}`, keyed by the secret's bytes (`whsec_<base64>` is decoded).
import { createHmac } from "node:crypto";
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
