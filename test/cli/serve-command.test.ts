// `synergymesh serve` as a child process: a generated admin key printed once, the demo tenant with
// its key once, the API on the printed address, config from seed 001's YAML layout with
// environment overrides, bad config refused with the field's path, and a clean stop on SIGTERM.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { tempSqliteDatabase } from "synergymesh/testing";
import { loadServerConfig } from "../../src/config/server-config.js";
import { CLI_ENV, runCli, startCli } from "./cli-process.js";

const ENV = { ...CLI_ENV, SYNERGYMESH_DATABASE_URL: undefined, SYNERGYMESH_PORT: undefined } as NodeJS.ProcessEnv;

test("serve --demo: keys printed once, the API answers, SIGTERM stops it cleanly", async () => {
  const db = tempSqliteDatabase();
  try {
    const first = startCli(["serve", "--demo", "--port", "0", "--database", db.database], ENV);
    const adminLine = await first.waitForLine(/^platform admin key/);
    const adminKey = adminLine.split(": ")[1] as string;
    const demoLine = await first.waitForLine(/^demo tenant tenant-[0-9a-f]{12} owner key/);
    const demoKey = demoLine.split(": ")[1] as string;
    const address = (await first.waitForLine(/^SynergyMesh serving on /)).split(" ")[3] as string;
    const health = await fetch(`${address}/health`);
    assert.equal(health.status, 200);
    const tenants = (await (await fetch(`${address}/api/v1/tenants`, { headers: { authorization: `Bearer ${adminKey}` } })).json()) as { items: Array<{ name: string }> };
    assert.ok(tenants.items.some((t) => t.name === "Demo"));
    const workflows = (await (await fetch(`${address}/api/v1/workflows`, { headers: { authorization: `Bearer ${demoKey}` } })).json()) as { items: Array<{ id: string }> };
    assert.ok(workflows.items.some((w) => w.id === "approval-flow"), JSON.stringify(workflows));
    first.child.kill("SIGTERM");
    const ended = await first.done;
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stdout, /SIGTERM: stopping/);
    assert.match(ended.stdout, /^stopped$/m);

    // A second start on the same database prints no key: they exist already.
    const second = startCli(["serve", "--demo", "--port", "0", "--database", db.database], ENV);
    await second.waitForLine(/^SynergyMesh serving on /);
    second.child.kill("SIGINT");
    const again = await second.done;
    assert.equal(again.code, 0);
    assert.doesNotMatch(again.stdout, /smk_/);
    assert.match(again.stdout, /its key was printed on the first start/);
  } finally {
    await db.cleanup();
  }
});

test("a bad config file is refused with the path of the bad field", async () => {
  const db = tempSqliteDatabase();
  try {
    const file = join(db.database, "..", "config.yaml");
    writeFileSync(file, "services:\n  orchestrator:\n    port: 8084\n    scheduler:\n      workers: many\n");
    const result = await runCli(["serve", "--config", file, "--database", db.database], ENV);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /services\.orchestrator\.scheduler\.workers/);
  } finally {
    await db.cleanup();
  }
});

test("the config loader reads seed 001's layout; the environment and flags override it", () => {
  const db = tempSqliteDatabase();
  const file = join(db.database, "..", "config.yaml");
  writeFileSync(
    file,
    [
      "services:",
      "  orchestrator:",
      "    port: 9000",
      "    database:",
      '      url: "postgres://user:password@localhost/noah_loop?sslmode=disable"',
      "    scheduler:",
      "      enabled: true",
      "      workers: 10",
      "      max_concurrent: 100",
      "      retry_attempts: 3",
      "      retry_delay: 30s",
      "      poll_interval: 5s",
      "    executor:",
      "      timeout: 30m",
      '      max_memory: "1GB"',
      '      log_retention: "7d"',
    ].join("\n"),
  );
  const fromFile = loadServerConfig(file, {}, {});
  assert.equal(fromFile.port, 9000);
  assert.equal(fromFile.database, "postgres://user:password@localhost/noah_loop?sslmode=disable");
  assert.equal(fromFile.concurrency, 10);
  assert.equal(fromFile.pollMs, 5000);
  assert.deepEqual(fromFile.notApplied, ["scheduler.max_concurrent", "scheduler.retry_attempts", "scheduler.retry_delay", "executor.timeout", "executor.max_memory", "executor.log_retention"]);
  const overridden = loadServerConfig(file, { port: 1234 }, { SYNERGYMESH_PORT: "7000", SYNERGYMESH_DATABASE_URL: "./other.db", SYNERGYMESH_WORKERS: "3" });
  assert.equal(overridden.port, 1234);
  assert.equal(overridden.database, "./other.db");
  assert.equal(overridden.concurrency, 3);
  assert.equal(loadServerConfig(undefined, {}, {}).port, 8084);
  assert.throws(() => loadServerConfig(file, {}, { SYNERGYMESH_PORT: "http" }), { code: "CONFIG_INVALID" });
  void db.cleanup();
});
