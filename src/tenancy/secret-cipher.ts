// Encryption of tenant secrets at rest (SPEC D "Keys and secrets"): AES-256-GCM under the 32-byte
// master key, bound to the tenant id and secret name, stored as `v1.<iv>.<tag>.<ciphertext>` (base64url).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { SynergyMeshError } from "../core/errors.js";

/** Whose secret a ciphertext is. Both are authenticated, so a ciphertext moved to another tenant or name does not decrypt. */
export interface SecretAddress {
  tenantId: string;
  name: string;
}

const VERSION = "v1";
const KEY_BYTES = 32;
/** 96-bit random nonces, GCM's native size; at 2^32 encryptions per key the collision risk is still below 2^-32. */
const IV_BYTES = 12;
const TAG_BYTES = 16;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export class SecretCipher {
  readonly #key: Buffer;

  constructor(masterKey: Uint8Array) {
    if (!(masterKey instanceof Uint8Array) || masterKey.length !== KEY_BYTES) {
      throw new SynergyMeshError("CONFIG_INVALID", `masterKey: must be ${KEY_BYTES} bytes (64 hex characters) for AES-256-GCM`, { path: "masterKey" });
    }
    // A private copy: the caller zeroing or reusing its buffer cannot change what this cipher uses.
    this.#key = Buffer.from(masterKey);
  }

  encrypt(plaintext: string, address: SecretAddress): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(additionalData(address));
    const ciphertext = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
    return [VERSION, iv.toString("base64url"), cipher.getAuthTag().toString("base64url"), ciphertext.toString("base64url")].join(".");
  }

  decrypt(stored: string, address: SecretAddress): string {
    const parts = typeof stored === "string" ? stored.split(".") : [];
    const [version, ivText, tagText, ciphertextText] = parts;
    if (parts.length !== 4 || version !== VERSION || !parts.every((part) => BASE64URL.test(part))) {
      throw undecryptable(address, `it is not a ${VERSION} secret ciphertext`);
    }
    const iv = Buffer.from(ivText as string, "base64url");
    const tag = Buffer.from(tagText as string, "base64url");
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw undecryptable(address, "its nonce or tag has the wrong length");
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(additionalData(address));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText as string, "base64url")), decipher.final()]).toString("utf8");
    } catch {
      throw undecryptable(address, "the master key differs from the one it was encrypted with, or the value was altered or copied from another tenant or name");
    }
  }
}

/** JSON of a tuple: unambiguous for any tenant id or name (no separator can be forged across fields). */
function additionalData(address: SecretAddress): Buffer {
  return Buffer.from(JSON.stringify(["synergymesh-secret", VERSION, address.tenantId, address.name]), "utf8");
}

function undecryptable(address: SecretAddress, why: string): SynergyMeshError {
  return new SynergyMeshError(
    "CONFIG_INVALID",
    `Secret ${JSON.stringify(address.name)} of tenant ${address.tenantId} cannot be decrypted with the configured master key: ${why}`,
    { tenantId: address.tenantId, name: address.name },
  );
}
