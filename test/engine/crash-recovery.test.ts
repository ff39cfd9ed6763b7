// A node is SIGKILLed while running 200 executions, at a named fault point and at a random moment;
// restarted with the same node id it finishes all of them. No step that had committed runs again,
// and every step that runs again keeps its idempotency key (its attempt was lost, not failed).
// Starts are re-sent after the restart with the same idempotency keys, as a client that got no
// answer would: each execution exists once.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { DIALECTS, rawQuery, tempDatabase } from "synergymesh/testing";
import type { TestDatabase } from "synergymesh/testing";

const TOTAL = 200;
const FIXTURE = join(import.meta.dirname, "fixtures", "crash-node.ts");

interface JournalLine {
  run: number;
  execution: string;
  step: string;
  key: string;
}

function runNode(db: TestDatabase, journal: string, run: number, options: { start: boolean; fault?: string; killAfterLines?: number }): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE, db.database, db.schema ?? "", journal, String(run), options.start ? "1" : "0", options.fault ?? "", String(TOTAL)], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d));
    let watcher: NodeJS.Timeout | undefined;
    if (options.killAfterLines !== undefined) {
      // The random moment: kill from outside once the journal shows this many step attempts.
      watcher = setInterval(() => {
        const lines = readFileSync(journal, "utf8").split("\n").filter(Boolean).length;
        if (lines >= (options.killAfterLines as number)) child.kill("SIGKILL");
      }, 2);
    }
    child.on("error", reject);
    child.on("exit", (code, signal) => {
      if (watcher) clearInterval(watcher);
      if (code !== 0 && signal !== "SIGKILL") reject(new Error(`crash node exited ${code}: ${stderr}`));
      else resolve({ code, signal });
    });
  });
}

async function crashAndRecover(dialect: "sqlite" | "postgres", kill: { fault?: string; killAfterLines?: number }): Promise<void> {
  const db = await tempDatabase(dialect);
  const journal = join(import.meta.dirname, `.journal-${process.pid}-${Date.now()}.jsonl`);
  writeFileSync(journal, "");
  try {
    const first = await runNode(db, journal, 1, { start: true, ...kill });
    assert.equal(first.signal, "SIGKILL", "the first run must die, not finish");

    // The moment of the kill, as committed: executions still in flight, steps already done.
    const executions = await rawQuery<{ status: string }>(db, "SELECT status FROM executions");
    const inFlight = executions.filter((e) => e.status !== "completed").length;
    assert.ok(inFlight > 0, `executions must be in flight when the node dies (statuses: ${executions.length} rows)`);
    const committed = new Set((await rawQuery<{ execution_id: string; step_id: string }>(db, "SELECT execution_id, step_id FROM step_executions WHERE status = 'completed'")).map((r) => `${r.execution_id}/${r.step_id}`));

    // A client whose start calls got no answer sends them again: the idempotency keys make each
    // execution exist once, whether its first start committed before the kill or not.
    const second = await runNode(db, journal, 2, { start: true });
    assert.equal(second.code, 0);

    const final = await rawQuery<{ status: string; n: number }>(db, "SELECT status, COUNT(*) AS n FROM executions GROUP BY status");
    assert.deepEqual(final.map((r) => [r.status, Number(r.n)]), [["completed", TOTAL]], "all executions complete after the restart");

    const lines = readFileSync(journal, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as JournalLine);
    const secondRun = lines.filter((l) => l.run === 2);
    for (const line of secondRun) {
      assert.ok(!committed.has(`${line.execution}/${line.step}`), `step ${line.step} of ${line.execution} had committed and must not run again`);
    }
    const firstKeys = new Map(lines.filter((l) => l.run === 1).map((l) => [`${l.execution}/${l.step}`, l.key]));
    let reruns = 0;
    for (const line of secondRun) {
      const before = firstKeys.get(`${line.execution}/${line.step}`);
      if (before === undefined) continue;
      reruns += 1;
      assert.equal(line.key, before, "a re-run after a lost lease keeps its idempotency key");
    }
    // Every step ran to completion at least once.
    const ran = new Set(lines.map((l) => `${l.execution}/${l.step}`));
    assert.equal(ran.size, TOTAL * 3);
    assert.ok(secondRun.length > 0, "the restarted node did the remaining work");
    void reruns;
  } finally {
    await db.cleanup();
    writeFileSync(journal, "");
    await import("node:fs/promises").then((fs) => fs.rm(journal, { force: true }));
  }
}

for (const dialect of DIALECTS) {
  test(`${dialect}: SIGKILL at the named fault point after-commit (5th commit), restart, all 200 complete exactly once`, async () => {
    await crashAndRecover(dialect, { fault: "after-commit:5" });
  });

  test(`${dialect}: SIGKILL at a random moment, restart, all 200 complete exactly once`, async () => {
    await crashAndRecover(dialect, { killAfterLines: 100 + Math.floor(Math.random() * 300) });
  });
}
