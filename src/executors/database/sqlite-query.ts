// Runs one statement on a SQLite file in a worker thread of its own, so the step's timeout and
// cancellation can stop it: the worker is terminated, which takes effect when SQLite next hands a row
// back (a single long aggregate runs to its end first; documented).
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { CancelledError, NonRetryableError, TimeoutError } from "../../core/errors.js";
import type { QueryResult, QueryRun } from "./query-result.js";

const DRIVER = createRequire(import.meta.url).resolve("better-sqlite3");

// Plain CommonJS, evaluated in the worker: nothing to compile, the same from sources and from dist.
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const { file, readOnly, sql, params, maxRows, busyMs } = workerData;
let db;
try {
  db = new Database(file, { readonly: readOnly, fileMustExist: true, timeout: busyMs });
  const statement = db.prepare(sql);
  const bind = Array.isArray(params) ? params : [params];
  if (statement.reader) {
    const rows = [];
    let truncated = false;
    for (const row of statement.iterate(...bind)) {
      if (rows.length >= maxRows) { truncated = true; break; }
      rows.push(row);
    }
    parentPort.postMessage({ ok: true, rows, rowCount: rows.length, truncated });
  } else {
    const info = statement.run(...bind);
    parentPort.postMessage({ ok: true, rows: [], rowCount: info.changes, truncated: false });
  }
} catch (error) {
  parentPort.postMessage({ ok: false, message: String(error && error.message || error), code: error && error.code });
} finally {
  if (db) db.close();
}
`;

/** SQLite binds numbers, strings, null and buffers: booleans become 1/0, lists and mappings JSON. */
function sqliteValue(value: unknown): unknown {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (value !== null && typeof value === "object" && !Buffer.isBuffer(value)) return JSON.stringify(value);
  return value === undefined ? null : value;
}

/** Busy and locked databases may free up: retryable. Every other SQLite error is the statement's. */
const TRANSIENT = /^SQLITE_(BUSY|LOCKED)/;

export function runSqliteQuery(file: string, readOnly: boolean, run: QueryRun): Promise<QueryResult> {
  if (run.signal.aborted) return Promise.reject(run.signal.reason ?? new CancelledError());
  const params = Array.isArray(run.params) ? run.params.map(sqliteValue) : Object.fromEntries(Object.entries(run.params).map(([k, v]) => [k, sqliteValue(v)]));
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: DRIVER, file, readOnly, sql: run.sql, params, maxRows: run.maxRows, busyMs: Math.min(run.timeoutMs, 5000) },
    });
    let settled = false;
    const finish = (action: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      run.signal.removeEventListener("abort", onAbort);
      action();
    };
    const stop = (error: Error) => finish(() => {
      void worker.terminate();
      reject(error);
    });
    const timer = setTimeout(() => stop(new TimeoutError(`database ${run.connection}: the statement`, run.timeoutMs)), run.timeoutMs);
    const onAbort = () => stop(run.signal.reason instanceof Error ? run.signal.reason : new CancelledError());
    run.signal.addEventListener("abort", onAbort, { once: true });
    worker.once("message", (message: { ok: true; rows: Record<string, unknown>[]; rowCount: number; truncated: boolean } | { ok: false; message: string; code?: string }) =>
      finish(() => {
        if (message.ok) resolve({ rows: message.rows, row_count: message.rowCount, truncated: message.truncated });
        else {
          const text = `database ${run.connection}: ${message.message}`;
          reject(TRANSIENT.test(message.code ?? "") ? new Error(text) : new NonRetryableError(text));
        }
      }),
    );
    worker.once("error", (error) => finish(() => reject(new Error(`database ${run.connection}: the query worker failed: ${error.message}`))));
    worker.once("exit", () => finish(() => reject(new Error(`database ${run.connection}: the query worker ended without an answer`))));
  });
}
