// What differs between the dialects, behind one small interface; every query lives in kysely-store.ts.
import type { Kysely } from "kysely";
import type { EngineRows } from "./engine-rows.js";
import type { AuditLogTable, Database } from "./schema.js";
import type { StoreDialect } from "./store.js";

export interface DialectAdapter {
  readonly dialect: StoreDialect;
  readonly db: Kysely<Database>;
  /** Whether reads in a write transaction must lock rows (`FOR UPDATE`); SQLite's writer lock covers it. */
  readonly lockRows: boolean;
  /** Runs `fn` in a transaction that holds the write lock from its first statement. */
  write<T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * Inserts sealed audit rows inside `write`'s transaction, the hottest insert there is: SQLite
   * reuses one prepared statement, PostgreSQL sends multi-row inserts.
   */
  insertAuditRows(trx: Kysely<Database>, rows: AuditLogTable[]): Promise<void>;
  /** The engine's hot statements, written for this dialect. */
  readonly engineRows: EngineRows;
  destroy(): Promise<void>;
}
