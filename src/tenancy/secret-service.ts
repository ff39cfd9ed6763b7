// Per-tenant secrets: AES-256-GCM under the master key (SPEC D), write-only through the API (names
// and times can be listed, values never), resolved only when a step renders `{{secrets.x}}`, and
// redacted from that step's logs, output and errors. Every change is audited as sensitive.
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { ConfigError, NotFoundError, ValidationError } from "../core/errors.js";
import type { Store } from "../store/store.js";
import { SecretCipher } from "./secret-cipher.js";

const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
const MAX_SECRET_BYTES = 64 * 1024;

export class SecretService {
  #store: Store;
  #clock: Clock;
  #cipher: SecretCipher | undefined;

  constructor(store: Store, clock: Clock, masterKey: Buffer | undefined) {
    this.#store = store;
    this.#clock = clock;
    this.#cipher = masterKey ? new SecretCipher(masterKey) : undefined;
  }

  async set(tenantId: string, name: string, value: string, userId = "system"): Promise<{ created: boolean }> {
    const issues = [];
    if (typeof name !== "string" || !SECRET_NAME.test(name)) issues.push({ path: "name", message: "must start with a letter or '_' and hold letters, digits, '_' or '-' (at most 128)" });
    if (typeof value !== "string" || value.length === 0 || Buffer.byteLength(value) > MAX_SECRET_BYTES) issues.push({ path: "value", message: `must be a non-empty string of at most ${MAX_SECRET_BYTES} bytes` });
    if (issues.length) throw new ValidationError(issues);
    const ciphertext = this.#requireCipher().encrypt(value, { tenantId, name });
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "set_secret", status: "success", componentId: `secret:${name}`, userId })];
    return { created: await this.#store.putSecret(tenantId, name, ciphertext, this.#clock.now(), audit) };
  }

  list(tenantId: string) {
    return this.#store.listSecrets(tenantId);
  }

  async delete(tenantId: string, name: string, userId = "system"): Promise<void> {
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "delete_secret", status: "success", componentId: `secret:${name}`, userId })];
    if (!(await this.#store.deleteSecret(tenantId, name, audit))) throw new NotFoundError("secret", name);
  }

  /** The clear value for a step that names it, or undefined when the tenant has no such secret. */
  async resolve(tenantId: string, name: string): Promise<string | undefined> {
    const ciphertext = await this.#store.getSecret(tenantId, name);
    return ciphertext === undefined ? undefined : this.#requireCipher().decrypt(ciphertext, { tenantId, name });
  }

  #requireCipher(): SecretCipher {
    if (!this.#cipher) throw new ConfigError("masterKey", "secrets need a master key: set SYNERGYMESH_MASTER_KEY or use a key file");
    return this.#cipher;
  }
}
