// The `database` step (seed 001 `save_data`: `operation: insert, table, connection: main_db`): one
// statement on an operator-configured connection, values always bound, with a row limit and a timeout.
// Output { rows, row_count, truncated }.
import { parseDuration } from "../../core/duration.js";
import { ValidationError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { resolveCredential } from "../credentials/resolve-credential.js";
import { parseRuntimeConfig } from "../http/config-fields.js";
import { databaseConfigSchema } from "./database-config.js";
import type { DatabaseConfig } from "./database-config.js";
import type { DatabaseConnection } from "../../config/database-options.js";
import { DEFAULT_DATABASE_TIMEOUT_MS, DEFAULT_MAX_ROWS, connectionFor, connectionNames, dialectOf } from "../../config/database-options.js";
import { runPostgresQuery } from "./postgres-query.js";
import type { QueryResult } from "./query-result.js";
import { runSqliteQuery } from "./sqlite-query.js";
import { insertStatement } from "./statement.js";
import type { Statement } from "./statement.js";

export interface DatabaseExecutorOptions {
  /** The operator's named connections (checked by resolveOptions). */
  connections: Record<string, DatabaseConnection>;
}

const runtimeSchema = databaseConfigSchema("runtime");

function isRow(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The rows of an insert: `config.data`, else the step's input `data` (seed 001 maps it there). */
function insertRows(ctx: StepContext, config: DatabaseConfig): Record<string, unknown>[] {
  const data = config.data ?? ctx.input.data;
  const path = config.data !== undefined ? "config.data" : "input_mapping.data";
  if (data === undefined) throw new ValidationError([{ path: "config.data", message: "required: give data, or map the rows to input data (input_mapping: { data: ... })" }]);
  const rows = Array.isArray(data) ? data : [data];
  if (rows.length === 0) throw new ValidationError([{ path, message: "has no rows to insert" }]);
  const bad = rows.findIndex((row) => !isRow(row));
  if (bad >= 0) throw new ValidationError([{ path: Array.isArray(data) ? `${path}[${bad}]` : path, message: "must be a mapping of column names to values" }]);
  return rows as Record<string, unknown>[];
}

export function createDatabaseExecutor(options: DatabaseExecutorOptions): StepExecutor {
  return {
    type: "database",
    configSchema: databaseConfigSchema("definition"),
    async execute(ctx: StepContext): Promise<QueryResult> {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      const connection = connectionFor(options.connections, config.connection, ctx.tenantId);
      if (!connection) {
        const known = connectionNames(options.connections, ctx.tenantId);
        throw new ValidationError([{ path: "config.connection", message: `unknown connection ${JSON.stringify(config.connection)}; ${known.length ? `configured: ${known.join(", ")}` : "none are configured"}` }]);
      }
      const dialect = dialectOf(connection.url);
      const limit = connection.maxRows ?? DEFAULT_MAX_ROWS;
      const maxRows = Math.min(config.max_rows ?? limit, limit);
      const cap = connection.timeoutMs ?? DEFAULT_DATABASE_TIMEOUT_MS;
      const timeoutMs = Math.min(config.timeout === undefined ? cap : parseDuration(config.timeout, "config.timeout"), cap);
      let statement: Statement;
      if ((config.operation ?? (config.query !== undefined ? "query" : "insert")) === "insert") {
        const rows = insertRows(ctx, config);
        if (rows.length > limit) throw new ValidationError([{ path: config.data !== undefined ? "config.data" : "input_mapping.data", message: `has ${rows.length} rows; one insert writes at most ${limit}` }]);
        statement = insertStatement(dialect, config.table as string, rows, config.idempotency_column ? { column: config.idempotency_column, key: ctx.idempotencyKey } : undefined);
      } else {
        const params = config.params ?? [];
        if (!Array.isArray(params) && dialect === "postgres") throw new ValidationError([{ path: "config.params", message: "must be a list on PostgreSQL ($1, $2, ... bind by position)" }]);
        statement = { sql: config.query as string, params, writes: false };
      }
      const url = (await resolveCredential(ctx, connection.url, `database ${config.connection} url`)) as string;
      const run = { connection: config.connection, sql: statement.sql, params: statement.params, maxRows, timeoutMs, signal: ctx.signal };
      const result =
        dialect === "postgres"
          ? await runPostgresQuery({ url, password: await resolveCredential(ctx, connection.password, `database ${config.connection} password`), schema: connection.schema, readOnly: connection.readOnly ?? false }, run)
          : await runSqliteQuery(url.replace(/^sqlite:(\/\/)?/i, ""), connection.readOnly ?? false, run);
      ctx.log("info", `database ${config.connection}: ${result.row_count} row(s)${result.truncated ? `, truncated to ${maxRows}` : ""}`);
      return result;
    },
  };
}
