// The key file kept outside the database: the audit HMAC key and the secrets master key, created
// once with mode 0600 (SPEC D "Keys and secrets"). Creation is exclusive, so two processes opening
// the same database at once end up with the same keys.
import { randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { ConfigError, errorMessage } from "../core/errors.js";

export interface KeyFileContents {
  auditKey: Buffer;
  masterKey: Buffer;
  /** True when this call created the file. */
  created: boolean;
}

export function loadOrCreateKeyFile(path: string): KeyFileContents {
  try {
    return readKeyFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const contents = { auditKey: randomBytes(32).toString("hex"), masterKey: randomBytes(32).toString("hex") };
  let created = false;
  try {
    writeFileSync(path, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    created = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw new ConfigError("keyFile", `cannot create ${path}: ${errorMessage(error)}`);
  }
  return { ...readKeyFile(path), created };
}

function readKeyFile(path: string): KeyFileContents {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw error;
    throw new ConfigError("keyFile", `cannot read ${path}: ${errorMessage(error)}`);
  }
  let parsed: { auditKey?: unknown; masterKey?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new ConfigError("keyFile", `${path} is not valid JSON; restore it from backup (audit signatures and secrets depend on it)`);
  }
  if (typeof parsed.auditKey !== "string" || typeof parsed.masterKey !== "string") {
    throw new ConfigError("keyFile", `${path} must hold "auditKey" and "masterKey" as hex strings`);
  }
  return { auditKey: Buffer.from(parsed.auditKey, "hex"), masterKey: Buffer.from(parsed.masterKey, "hex"), created: false };
}
