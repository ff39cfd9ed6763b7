// Migrations run on open, are safe to run twice, and safe from two processes at once.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { DIALECTS, rawQuery, tempDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";
import { postgresMigrations } from "../../src/store/postgres/migrations.js";
import { sqliteMigrations } from "../../src/store/sqlite/migrations.js";

const opener = `
import { randomBytes } from "node:crypto";
import { createAuditSealer } from "./src/audit/audit-chain.ts";
import { openStore } from "./src/store/open-store.ts";
const [database, schema] = process.argv.slice(1);
const store = await openStore({ database, ...(schema ? { schema } : {}), sealer: createAuditSealer(randomBytes(32)) });
await store.close();
console.log("opened");
`;

function openInChild(db: TestDatabase): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", opener, db.database, db.schema ?? ""], { cwd: process.cwd(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => (out += d));
    child.stderr.on("data", (d: Buffer) => (err += d));
    child.on("exit", (code) => (code === 0 ? resolve(out.trim()) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

for (const dialect of DIALECTS) {
  test(`${dialect}: four processes migrating one new database at once apply each migration once`, async () => {
    // A fresh, unmigrated database: for PostgreSQL a new schema name nobody created yet.
    const base = await tempDatabase(dialect);
    const db: TestDatabase = dialect === "postgres" ? { ...base, schema: `${base.schema}_fresh`, cleanup: async () => {} } : base;
    try {
      const results = await Promise.all([openInChild(db), openInChild(db), openInChild(db), openInChild(db)]);
      assert.deepEqual(results, ["opened", "opened", "opened", "opened"]);
      const rows = await rawQuery<{ version: number }>(db, "SELECT version FROM synergymesh_migrations ORDER BY version");
      const expected = (dialect === "sqlite" ? sqliteMigrations : postgresMigrations).map((m) => m.version);
      assert.deepEqual(rows.map((r) => Number(r.version)), expected);
      assert.equal((await openInChild(db)), "opened", "and once more, with nothing to do");
    } finally {
      if (dialect === "postgres") await rawQuery(base, `DROP SCHEMA IF EXISTS "${db.schema}" CASCADE`);
      await base.cleanup();
    }
  });
}
