// The engine benchmark on PostgreSQL with every statement timed by its text (call to result, so a
// statement waiting on a lock shows its wait): `tsx --conditions=source bench/pg-statements.ts`.
// For finding where a group commit's time goes; the figures are printed, not recorded.
import pg from "pg";

const stats = new Map<string, { n: number; ms: number }>();
const query = pg.Client.prototype.query as (this: pg.Client, ...args: unknown[]) => unknown;
// Patched before the orchestrator's pool clients (a subclass) are created, so they inherit it.
pg.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]): unknown {
  const text = typeof config === "string" ? config : ((config as { text?: string }).text ?? "?");
  const key = text.replace(/\s+/g, " ").slice(0, 70);
  const t0 = performance.now();
  const out = query.call(this, config, ...rest);
  if (out instanceof Promise) {
    out.then(
      () => {
        const s = stats.get(key) ?? { n: 0, ms: 0 };
        s.n += 1;
        s.ms += performance.now() - t0;
        stats.set(key, s);
      },
      () => {},
    );
  }
  return out;
} as typeof pg.Client.prototype.query;

const { tempPostgresSchema } = await import("synergymesh/testing");
const { engineBench } = await import("./engine-bench.js");
await engineBench("postgres", await tempPostgresSchema());
console.log("\n  count   avg ms  total ms  statement");
for (const [text, s] of [...stats].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
  console.log(`${String(s.n).padStart(7)} ${(s.ms / s.n).toFixed(3).padStart(8)} ${s.ms.toFixed(0).padStart(9)}  ${text}`);
}
