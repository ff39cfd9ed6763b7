// Chooses the store from the `database` option: a postgres:// URL means PostgreSQL, anything
// else is a SQLite file path (`:memory:` for a private in-memory database).
import { ConfigError, SynergyMeshError, errorMessage } from "../core/errors.js";
import { KyselyStore } from "./kysely-store.js";
import { openPostgresAdapter } from "./postgres/postgres-adapter.js";
import { openSqliteAdapter } from "./sqlite/sqlite-adapter.js";
import type { AuditSealer, Store } from "./store.js";

export interface OpenStoreOptions {
  database: string;
  /** PostgreSQL only: the schema holding the tables. */
  schema?: string;
  poolSize?: number;
  sealer: AuditSealer;
}

export function isPostgresUrl(database: string): boolean {
  return /^postgres(ql)?:\/\//i.test(database);
}

export async function openStore(options: OpenStoreOptions): Promise<Store> {
  if (options.database.trim() === "") throw new ConfigError("database", "must be a SQLite file path, :memory:, or a postgres:// URL");
  try {
    const adapter = isPostgresUrl(options.database)
      ? await openPostgresAdapter({ connectionString: options.database, ...(options.schema ? { schema: options.schema } : {}), ...(options.poolSize ? { poolSize: options.poolSize } : {}) })
      : await openSqliteAdapter({ filename: options.database });
    return new KyselyStore(adapter, options.sealer);
  } catch (error) {
    if (error instanceof SynergyMeshError) throw error;
    throw new SynergyMeshError("STORE_UNAVAILABLE", `Cannot open database ${redactUrl(options.database)}: ${errorMessage(error)}`, undefined, { cause: error });
  }
}

/** Hides a password in a connection URL before it reaches a message or a log. */
export function redactUrl(database: string): string {
  return database.replace(/(\/\/[^:/@]+:)[^@]*@/, "$1***@");
}
