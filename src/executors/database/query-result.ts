// What a database step runs (one statement with its limits) and what it gets back, for both dialects.
export interface QueryRun {
  /** The connection's name, for messages (never its URL). */
  connection: string;
  sql: string;
  params: unknown[] | Record<string, unknown>;
  maxRows: number;
  timeoutMs: number;
  signal: AbortSignal;
}

/** The step's output. */
export interface QueryResult {
  /** Rows returned (at most the row limit). */
  rows: Record<string, unknown>[];
  /** Rows changed by an INSERT, UPDATE or DELETE; rows returned by anything else. */
  row_count: number;
  /** True when the statement returned more rows than the limit and the rest were dropped. */
  truncated: boolean;
}
