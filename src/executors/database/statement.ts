// What a database step runs: its own parameterised query, or seed 001's `operation: insert` built from
// a table name and rows with every identifier checked and quoted and every value bound, never spliced.
import { ValidationError } from "../../core/errors.js";
import type { ValidationIssue } from "../../core/errors.js";
import type { DatabaseDialect } from "../../config/database-options.js";

export interface Statement {
  sql: string;
  /** Positional values, or named ones (SQLite `:name`). */
  params: unknown[] | Record<string, unknown>;
  /** True when the statement is built to return no rows (an insert). */
  writes: boolean;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
/** SQLite's limit on bound values per statement is 32766; PostgreSQL's 65535. */
const MAX_BOUND_VALUES = 32_000;

export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** `table` or `schema.table`, each part a plain identifier. */
export function isTableName(name: string): boolean {
  const parts = name.split(".");
  return parts.length <= 2 && parts.every(isIdentifier);
}

const quote = (name: string) => `"${name}"`;

/**
 * One multi-row INSERT. Columns are the union of the rows' keys (a missing key inserts NULL). With
 * `idempotencyColumn`, each row also gets `<key>` (or `<key>:<index>` for several rows) there and a
 * row whose key is already present is skipped, so a re-run of the same attempt inserts nothing twice.
 */
export function insertStatement(dialect: DatabaseDialect, table: string, rows: Record<string, unknown>[], idempotency?: { column: string; key: string }): Statement {
  const issues: ValidationIssue[] = [];
  if (!isTableName(table)) issues.push({ path: "config.table", message: "must be a table name (letters, digits and _, optionally schema.table)" });
  const columns: string[] = [];
  rows.forEach((row, index) => {
    for (const column of Object.keys(row)) {
      if (columns.includes(column)) continue;
      if (!isIdentifier(column)) issues.push({ path: `config.data[${index}]`, message: `${JSON.stringify(column)} is not a column name (letters, digits and _)` });
      else columns.push(column);
    }
  });
  if (idempotency && columns.includes(idempotency.column)) issues.push({ path: "config.idempotency_column", message: `the rows already set ${idempotency.column}` });
  if (idempotency) columns.push(idempotency.column);
  if (columns.length === 0) issues.push({ path: "config.data", message: "the rows have no columns" });
  if (rows.length * columns.length > MAX_BOUND_VALUES) issues.push({ path: "config.data", message: `too many values for one insert (${rows.length * columns.length}; at most ${MAX_BOUND_VALUES})` });
  if (issues.length) throw new ValidationError(issues);
  const params: unknown[] = [];
  const placeholder = () => (dialect === "postgres" ? `$${params.length}` : "?");
  const values = rows.map((row, index) => {
    const cells = columns.map((column) => {
      const value = idempotency && column === idempotency.column ? (rows.length === 1 ? idempotency.key : `${idempotency.key}:${index}`) : row[column];
      params.push(value === undefined ? null : value);
      return placeholder();
    });
    return `(${cells.join(", ")})`;
  });
  const target = table.split(".").map(quote).join(".");
  const conflict = idempotency ? ` ON CONFLICT (${quote(idempotency.column)}) DO NOTHING` : "";
  return { sql: `INSERT INTO ${target} (${columns.map(quote).join(", ")}) VALUES ${values.join(", ")}${conflict}`, params, writes: true };
}
