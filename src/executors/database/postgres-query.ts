// Runs one statement on a PostgreSQL connection of its own: extended protocol only (one statement,
// values always bound), a server-side statement_timeout, and cancellation that cancels the backend's
// query (pg_cancel_backend) before the connection is closed.
import pg from "pg";
import { CancelledError, NonRetryableError, TimeoutError, errorMessage } from "../../core/errors.js";
import type { QueryResult, QueryRun } from "./query-result.js";

export interface PostgresTarget {
  url: string;
  password: string | undefined;
  schema: string | undefined;
  readOnly: boolean;
}

/** SQLSTATE classes and codes that may pass on another try: connection, resources, shutdown, serialization, lock waits. */
const TRANSIENT_STATE = /^(08|53|57P0|40001|40P01|55P03)/;
const QUERY_CANCELED = "57014";
/** How long the client waits past the server's statement_timeout before it gives up on the connection itself. */
const CLIENT_GRACE_MS = 2000;

function clientConfig(target: PostgresTarget, timeoutMs: number): pg.ClientConfig {
  const settings = [...(target.schema ? [`-c search_path=${target.schema}`] : []), ...(target.readOnly ? ["-c default_transaction_read_only=on"] : [])];
  return {
    connectionString: target.url,
    ...(target.password !== undefined ? { password: target.password } : {}),
    connectionTimeoutMillis: Math.min(timeoutMs + CLIENT_GRACE_MS, 30_000),
    statement_timeout: timeoutMs,
    application_name: "synergymesh-database-step",
    ...(settings.length ? { options: settings.join(" ") } : {}),
  };
}

/** Asks the server to stop the backend's running query, over a second short-lived connection. */
async function cancelBackend(target: PostgresTarget, processId: number): Promise<void> {
  const canceller = new pg.Client(clientConfig(target, 5000));
  try {
    await canceller.connect();
    await canceller.query("SELECT pg_cancel_backend($1)", [processId]);
  } catch {
    // Best effort: closing the query's own connection below ends the session anyway.
  } finally {
    await canceller.end().catch(() => {});
  }
}

export async function runPostgresQuery(target: PostgresTarget, run: QueryRun): Promise<QueryResult> {
  if (run.signal.aborted) throw run.signal.reason ?? new CancelledError();
  const client = new pg.Client(clientConfig(target, run.timeoutMs));
  client.on("error", () => {}); // a connection dropped while idle must not crash the process
  let stopped: Error | undefined;
  const stop = (reason: Error) => {
    if (stopped) return;
    stopped = reason;
    const processId = (client as unknown as { processID: number | null }).processID;
    void (processId ? cancelBackend(target, processId) : Promise.resolve()).finally(() => client.end().catch(() => {}));
  };
  const timer = setTimeout(() => stop(new TimeoutError(`database ${run.connection}: the statement`, run.timeoutMs)), run.timeoutMs + CLIENT_GRACE_MS);
  const onAbort = () => stop(run.signal.reason instanceof Error ? run.signal.reason : new CancelledError());
  run.signal.addEventListener("abort", onAbort, { once: true });
  try {
    await client.connect();
    // `queryMode: "extended"` (pg 8.12+, not in its types yet): even a query without values goes through
    // Parse/Bind, so a second statement after a `;` is refused by the server instead of run.
    const query = { text: run.sql, values: Array.isArray(run.params) ? run.params : [], queryMode: "extended" } as pg.QueryConfig;
    const result = await client.query(query);
    const rows = (result.rows ?? []) as Record<string, unknown>[];
    const writes = result.command === "INSERT" || result.command === "UPDATE" || result.command === "DELETE" || result.command === "MERGE";
    const kept = rows.slice(0, run.maxRows);
    return { rows: kept, row_count: writes ? (result.rowCount ?? 0) : kept.length, truncated: rows.length > run.maxRows };
  } catch (error) {
    if (stopped) throw stopped;
    const state = (error as { code?: unknown }).code;
    const text = `database ${run.connection}: ${errorMessage(error)}`;
    if (state === QUERY_CANCELED) throw new TimeoutError(`database ${run.connection}: the statement`, run.timeoutMs);
    if (typeof state === "string" && /^[0-9A-Z]{5}$/.test(state)) throw TRANSIENT_STATE.test(state) ? new Error(text, { cause: error }) : new NonRetryableError(text, { cause: error });
    // No SQLSTATE: the network (refused, reset, DNS) or the client's own limits; may pass.
    throw new Error(text, { cause: error });
  } finally {
    clearTimeout(timer);
    run.signal.removeEventListener("abort", onAbort);
    if (!stopped) await client.end().catch(() => {});
  }
}
