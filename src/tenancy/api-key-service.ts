// API keys (SPEC D "Keys and secrets"): 32 random bytes shown once, stored as SHA-256 (high entropy
// needs no slow hash), found by a short public prefix. Tenant keys carry a role and an optional
// expiry and can be revoked; the platform admin key has no tenant. Every change is audited.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { NotFoundError, ValidationError } from "../core/errors.js";
import type { ValidationIssue } from "../core/errors.js";
import { DEFAULT_TENANT_ID, newId } from "../core/ids.js";
import type { AccessStore, ApiKeyRow } from "../store/access-store.js";
import type { PolicyRole } from "./policy-types.js";

export type ApiKeyRole = Exclude<PolicyRole, "admin">;
export const API_KEY_ROLES: readonly ApiKeyRole[] = ["owner", "operator", "viewer"];

/** What a presented key proves: who (key id), for which tenant (null: platform admin), with what role. */
export interface ApiPrincipal {
  keyId: string;
  tenantId: string | null;
  role: PolicyRole;
  name: string;
}

/** A key as listed: never its value or hash. */
export interface ApiKeyInfo {
  keyId: string;
  tenantId: string | null;
  prefix: string;
  name: string;
  role: PolicyRole;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
}

export interface CreateApiKeyInput {
  name?: string;
  role: ApiKeyRole;
  /** Epoch ms after which the key is refused. */
  expiresAt?: number | null;
}

const KEY_SCHEME = "smk_";
const PREFIX_CHARS = 10;
const KEY_PATTERN = /^smk_[A-Za-z0-9_-]{43}$/;

export class ApiKeyService {
  #store: AccessStore;
  #clock: Clock;
  #cacheTtlMs: number;
  /** Recent successful look-ups by prefix, so hot paths do not read the store on every request. */
  #cache = new Map<string, { row: ApiKeyRow; hash: Buffer; until: number }>();

  constructor(store: AccessStore, clock: Clock, options: { cacheTtlMs: number }) {
    this.#store = store;
    this.#clock = clock;
    this.#cacheTtlMs = options.cacheTtlMs;
  }

  /** Creates a tenant key; the returned `key` is the only time its value exists outside the caller. */
  async create(tenantId: string, input: CreateApiKeyInput, userId = "system"): Promise<ApiKeyInfo & { key: string }> {
    const issues: ValidationIssue[] = [];
    if (!API_KEY_ROLES.includes(input?.role)) issues.push({ path: "role", message: `must be one of ${API_KEY_ROLES.join(", ")}` });
    const name = input?.name ?? "";
    if (typeof name !== "string" || name.length > 200) issues.push({ path: "name", message: "must be a string of at most 200 characters" });
    const expiresAt = input?.expiresAt ?? null;
    if (expiresAt !== null && !(Number.isFinite(expiresAt) && expiresAt > this.#clock.now())) issues.push({ path: "expires_at", message: "must be a time in the future" });
    if (issues.length) throw new ValidationError(issues);
    return this.#insert(tenantId, name, input.role, expiresAt, userId);
  }

  /**
   * Makes sure a platform admin key exists. With `configured` (config or environment) that key is
   * registered; otherwise, when none exists yet, one is generated and returned (print it once).
   */
  async ensureAdminKey(configured?: string): Promise<{ key?: string; created: boolean }> {
    if (configured !== undefined) {
      if (!KEY_PATTERN.test(configured)) throw new ValidationError([{ path: "admin_key", message: "must be a key in SynergyMesh's format (smk_ followed by 43 base64url characters); let the first start generate one" }]);
      const existing = await this.#store.findApiKeyByPrefix(prefixOf(configured));
      if (existing && existing.tenantId === null && existing.revokedAt === null && sameHash(existing.hash, hashKey(configured))) return { created: false };
      await this.#insertKey(configured, null, "platform admin (configured)", "admin", null, "system");
      return { created: true };
    }
    const live = (await this.#store.listApiKeys(null)).filter((k) => k.revokedAt === null);
    if (live.length > 0) return { created: false };
    const created = await this.#insert(null, "platform admin", "admin", null, "system");
    return { key: created.key, created: true };
  }

  /** The principal a presented key proves, or undefined for unknown, revoked, expired or malformed keys. */
  async authenticate(presented: string): Promise<ApiPrincipal | undefined> {
    if (typeof presented !== "string" || !KEY_PATTERN.test(presented)) return undefined;
    const prefix = prefixOf(presented);
    const now = this.#clock.now();
    let entry = this.#cache.get(prefix);
    if (!entry || entry.until <= now) {
      const row = await this.#store.findApiKeyByPrefix(prefix);
      if (!row) return undefined;
      entry = { row, hash: Buffer.from(row.hash, "hex"), until: now + this.#cacheTtlMs };
      this.#cache.set(prefix, entry);
      if (this.#cache.size > 10_000) this.#cache.delete(this.#cache.keys().next().value as string);
    }
    const row = entry.row;
    const digest = createHash("sha256").update(presented).digest();
    if (digest.length !== entry.hash.length || !timingSafeEqual(digest, entry.hash)) return undefined;
    if (row.revokedAt !== null || (row.expiresAt !== null && row.expiresAt <= now)) return undefined;
    return { keyId: row.keyId, tenantId: row.tenantId, role: row.role as PolicyRole, name: row.name };
  }

  async list(tenantId: string | null): Promise<ApiKeyInfo[]> {
    return (await this.#store.listApiKeys(tenantId)).map(toInfo);
  }

  async revoke(tenantId: string | null, keyId: string, userId = "system"): Promise<ApiKeyInfo> {
    const audit = [makeAuditEntry(this.#clock, { tenantId: tenantId ?? DEFAULT_TENANT_ID, action: "revoke_api_key", status: "success", componentId: `key:${keyId}`, userId })];
    const row = await this.#store.revokeApiKey(tenantId, keyId, this.#clock.now(), audit);
    if (!row) throw new NotFoundError("api key", keyId);
    this.#cache.delete(row.prefix);
    return toInfo(row);
  }

  /** Revokes every key of a tenant (tenant deletion, SPEC D). */
  async revokeAll(tenantId: string, userId = "system"): Promise<number> {
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "revoke_api_key", status: "success", componentId: "key:*", userId, metadata: { reason: "tenant deleted" } })];
    const count = await this.#store.revokeTenantApiKeys(tenantId, this.#clock.now(), audit);
    for (const [prefix, entry] of this.#cache) if (entry.row.tenantId === tenantId) this.#cache.delete(prefix);
    return count;
  }

  async #insert(tenantId: string | null, name: string, role: PolicyRole, expiresAt: number | null, userId: string): Promise<ApiKeyInfo & { key: string }> {
    for (;;) {
      const key = KEY_SCHEME + randomBytes(32).toString("base64url");
      const row = await this.#insertKey(key, tenantId, name, role, expiresAt, userId);
      if (row) return { ...toInfo(row), key };
    }
  }

  async #insertKey(key: string, tenantId: string | null, name: string, role: PolicyRole, expiresAt: number | null, userId: string): Promise<ApiKeyRow | undefined> {
    const row: ApiKeyRow = { keyId: newId(), tenantId, prefix: prefixOf(key), hash: hashKey(key), name, role, createdAt: this.#clock.now(), expiresAt, revokedAt: null, createdBy: userId };
    const audit = [makeAuditEntry(this.#clock, { tenantId: tenantId ?? DEFAULT_TENANT_ID, action: "create_api_key", status: "success", componentId: `key:${row.keyId}`, userId, metadata: { role, prefix: row.prefix, ...(tenantId === null ? { platform: true } : {}) } })];
    return (await this.#store.insertApiKey(row, audit)) ? row : undefined;
  }
}

function prefixOf(key: string): string {
  return key.slice(0, KEY_SCHEME.length + PREFIX_CHARS);
}

function hashKey(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}

function toInfo(r: ApiKeyRow): ApiKeyInfo {
  return { keyId: r.keyId, tenantId: r.tenantId, prefix: r.prefix, name: r.name, role: r.role as PolicyRole, createdAt: r.createdAt, expiresAt: r.expiresAt, revokedAt: r.revokedAt };
}
