import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { SynergyMeshError } from "../../src/core/errors.js";
import { SecretCipher } from "../../src/tenancy/secret-cipher.js";

const key = randomBytes(32);
const here = { tenantId: "tenant-0123456789ab", name: "api_token" };

function undecryptable(fn: () => unknown): SynergyMeshError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SynergyMeshError, `expected a SynergyMeshError, got ${String(error)}`);
    assert.equal(error.code, "CONFIG_INVALID");
    assert.match(error.message, /cannot be decrypted with the configured master key/);
    return error;
  }
  assert.fail("expected the decryption to fail");
}

/** Flips one bit of the base64url part `index` (1 iv, 2 tag, 3 ciphertext). */
function tamper(stored: string, index: number): string {
  const parts = stored.split(".");
  const bytes = Buffer.from(parts[index] as string, "base64url");
  bytes[0] = (bytes[0] as number) ^ 0x01;
  parts[index] = bytes.toString("base64url");
  return parts.join(".");
}

test("round trip in the compact v1 format, with a fresh nonce each time", () => {
  const cipher = new SecretCipher(key);
  for (const plaintext of ["tok-123456", "", "密码 ✓ with spaces and \"quotes\"", "x".repeat(10_000)]) {
    const stored = cipher.encrypt(plaintext, here);
    assert.match(stored, /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*$/);
    assert.equal(cipher.decrypt(stored, here), plaintext);
  }
  const a = cipher.encrypt("same", here);
  const b = cipher.encrypt("same", here);
  assert.notEqual(a, b);
  assert.doesNotMatch(a, /same/);
  assert.equal(new SecretCipher(Buffer.from(key)).decrypt(a, here), "same", "another instance with the same key decrypts");
});

test("a ciphertext copied to another tenant or another name does not decrypt", () => {
  const cipher = new SecretCipher(key);
  const stored = cipher.encrypt("tok-123456", here);
  const error = undecryptable(() => cipher.decrypt(stored, { tenantId: "tenant-ba9876543210", name: "api_token" }));
  assert.deepEqual(error.details, { tenantId: "tenant-ba9876543210", name: "api_token" });
  assert.doesNotMatch(error.message, /tok-123456/);
  undecryptable(() => cipher.decrypt(stored, { ...here, name: "other_token" }));
  // The fields are length-delimited: moving characters between tenant id and name changes the AAD.
  const split = cipher.encrypt("v", { tenantId: "ab", name: "c" });
  undecryptable(() => cipher.decrypt(split, { tenantId: "a", name: "bc" }));
});

test("a wrong master key, a tampered tag, nonce or ciphertext, or a malformed value does not decrypt", () => {
  const cipher = new SecretCipher(key);
  const stored = cipher.encrypt("tok-123456", here);
  undecryptable(() => new SecretCipher(randomBytes(32)).decrypt(stored, here));
  for (const index of [1, 2, 3]) undecryptable(() => cipher.decrypt(tamper(stored, index), here));
  for (const malformed of ["", "v1", "v2" + stored.slice(2), `${stored}.extra`, stored.replace(/\.[^.]*\./, ".!!.")]) {
    undecryptable(() => cipher.decrypt(malformed, here));
  }
  const parts = stored.split(".");
  undecryptable(() => cipher.decrypt([parts[0], parts[1], (parts[2] as string).slice(0, 8), parts[3]].join("."), here));
});

test("the master key must be 32 bytes, and later changes to the caller's buffer do not affect the cipher", () => {
  for (const bad of [randomBytes(16), randomBytes(31), randomBytes(33), new Uint8Array(0)]) {
    assert.throws(() => new SecretCipher(bad), (error: unknown) => error instanceof SynergyMeshError && error.code === "CONFIG_INVALID" && /32 bytes/.test(error.message));
  }
  const mine = Buffer.from(key);
  const cipher = new SecretCipher(mine);
  const stored = cipher.encrypt("tok-123456", here);
  mine.fill(0);
  assert.equal(cipher.decrypt(stored, here), "tok-123456");
});
