// Named database connections the operator configures for `database` steps (seed 001 `connection:
// main_db`): a SQLite file or a PostgreSQL URL, credentials from tenant secrets, limits, and which
// tenants may use each one.
import { ConfigError } from "../core/errors.js";
import type { Credential } from "./credential.js";
import { isCredential } from "./credential.js";

export interface DatabaseConnection {
  /**
   * A `postgres://` (or `postgresql://`) URL, or a SQLite file path (an optional `sqlite:` prefix is
   * dropped). A `{{secrets.NAME}}` inside it is resolved for the step's tenant.
   */
  url: string;
  /** PostgreSQL password, when not in the URL: a literal, `{ secret: NAME }` or `{{secrets.NAME}}`. */
  password?: Credential;
  /** PostgreSQL schema searched first (`search_path`). */
  schema?: string;
  /** Open read-only (default false): SQLite opens the file read-only; PostgreSQL sessions default to read-only transactions. */
  readOnly?: boolean;
  /** Tenants that may use it (default: every tenant). To any other tenant it does not exist. */
  tenants?: string[];
  /** Most rows a step gets back, and most rows one insert writes (default 1000); a step may ask for fewer. */
  maxRows?: number;
  /** Longest a statement may run (default 30 s); a step's `timeout` may only shorten it. */
  timeoutMs?: number;
}

export type DatabaseDialect = "sqlite" | "postgres";

export const DEFAULT_MAX_ROWS = 1000;
export const DEFAULT_DATABASE_TIMEOUT_MS = 30_000;
const CONNECTION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

export function dialectOf(url: string): DatabaseDialect {
  return /^postgres(ql)?:\/\//i.test(url) ? "postgres" : "sqlite";
}

/** Checks every connection once (when options are resolved); throws ConfigError naming the field. */
export function checkDatabaseConnections(connections: Record<string, DatabaseConnection>): void {
  for (const [name, connection] of Object.entries(connections)) {
    const path = `databases.${name}`;
    if (!CONNECTION_NAME.test(name)) throw new ConfigError(path, "a connection name is letters, digits, '.', '_' and '-'");
    if (typeof connection?.url !== "string" || connection.url.trim() === "") throw new ConfigError(`${path}.url`, "must be a postgres:// URL or a SQLite file path");
    if (connection.password !== undefined && !isCredential(connection.password)) throw new ConfigError(`${path}.password`, "must be a string or { secret: NAME }");
    if (connection.schema !== undefined && !SCHEMA_NAME.test(connection.schema)) throw new ConfigError(`${path}.schema`, "must be a plain schema name");
    if (connection.schema !== undefined && dialectOf(connection.url) === "sqlite") throw new ConfigError(`${path}.schema`, "applies to PostgreSQL connections only");
    if (connection.tenants !== undefined && !(Array.isArray(connection.tenants) && connection.tenants.every((t) => typeof t === "string"))) throw new ConfigError(`${path}.tenants`, "must be a list of tenant ids");
    for (const key of ["maxRows", "timeoutMs"] as const) {
      const value = connection[key];
      if (value !== undefined && !(Number.isInteger(value) && value > 0)) throw new ConfigError(`${path}.${key}`, `must be a positive integer, got ${value}`);
    }
  }
}

/** The connection by name for the tenant, or undefined: another tenant's connection answers like a missing one. */
export function connectionFor(connections: Record<string, DatabaseConnection>, name: string, tenantId: string): DatabaseConnection | undefined {
  if (!Object.hasOwn(connections, name)) return undefined;
  const connection = connections[name];
  return connection && (connection.tenants === undefined || connection.tenants.includes(tenantId)) ? connection : undefined;
}

/** The names a tenant may use (for the message of an unknown one). */
export function connectionNames(connections: Record<string, DatabaseConnection>, tenantId: string): string[] {
  return Object.keys(connections)
    .filter((name) => connectionFor(connections, name, tenantId) !== undefined)
    .sort();
}
