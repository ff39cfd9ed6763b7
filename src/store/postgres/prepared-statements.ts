// Named statements for the engine's hot path. PostgreSQL parses and plans an unnamed statement on
// every execution; a named one is parsed once per connection and its plan is cached (after five
// custom plans PostgreSQL may settle on a generic one). For the group commit's statements, planning
// cost more than executing (docs/benchmarks.md, "PostgreSQL"). Only fixed texts whose result
// columns cannot change with the schema are named (each returns json or a constant), so a migration
// applied by another node never makes a cached plan fail with "cached plan must not change result type".
import { createHash } from "node:crypto";
import pg from "pg";

const names = new Map<string, string>();

/** Registers `text` to be sent as a named statement by every pool connection; returns it unchanged. */
export function prepared(text: string): string {
  if (!names.has(text)) names.set(text, `sm_${createHash("sha256").update(text).digest("hex").slice(0, 16)}`);
  return text;
}

/**
 * A pool client that sends registered texts as named statements. The query builder and raw calls
 * pass `(text, values)`; pg keeps track of which names a connection has parsed, so the first
 * execution on a connection parses and the following ones only bind and execute.
 */
export class PreparingClient extends pg.Client {}

const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
PreparingClient.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]): unknown {
  const name = typeof config === "string" ? names.get(config) : undefined;
  if (name === undefined) return query.call(this, config, ...rest);
  const [values, callback] = typeof rest[0] === "function" ? [undefined, rest[0]] : rest;
  return query.call(this, { name, text: config, values }, callback);
} as typeof pg.Client.prototype.query;
