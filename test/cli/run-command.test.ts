// `synergymesh run` as a child process: plain progress lines, --json, --input parsing, failures,
// invalid definitions, --database, --timeout and Ctrl-C, with their exit codes.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { describe, test } from "node:test";
import { Orchestrator } from "synergymesh";
import { tempSqliteDatabase } from "synergymesh/testing";
import { silentLogger } from "../../src/telemetry/logger.js";
import { FIXTURES, lines, runCli, startCli } from "./cli-process.js";

const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const DURATION = "\\d+(\\.\\d)? m?s";
const WAIT_AND_DECIDE = `${FIXTURES}/wait-and-decide.yaml`;

interface RunJson {
  executionId: string;
  workflowId: string;
  status: string;
  error: string | null;
  durationMs: number;
  output: Record<string, { value?: unknown }>;
  steps: Array<{ id: string; status: string; attempts: number; error: string | null; durationMs: number | null; output: unknown }>;
}

describe("synergymesh run", () => {
  test("seed 001's data pipeline: validate.py runs in Python, the unconfigured agent fails clearly, exit 1", async () => {
    const result = await runCli(["run", new URL("../../examples/data-pipeline.yaml", import.meta.url).pathname, "--input", "input_file=data.csv", "--json"]);
    assert.equal(result.code, 1, result.stderr);
    const run = JSON.parse(result.stdout) as RunJson;
    assert.deepEqual(run.steps.map((s) => [s.id, s.status]), [["validate", "completed"], ["process", "failed"], ["notify", "skipped"]]);
    assert.match(run.steps[1]?.error ?? "", /no agent service is configured for agent_id "data-processor"/);
  });

  test("a wait and decisions complete: exit 0, one plain line per event in order, then the summary and output", async () => {
    const result = await runCli(["run", WAIT_AND_DECIDE, "--input", "order.total=150"]);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, "", "SYNERGYMESH_DATABASE_URL (an unreachable server here) is not used by run");
    const out = lines(result.stdout);
    const expected = [
      `^execution (${UUID}) started: workflow wait and decide \\(${UUID} version 1, 5 steps\\)$`,
      "^step pause started \\(attempt 1\\)$",
      "^step pause waiting$",
      "^step pause resumed \\(attempt 1\\)$",
      `^step pause completed in ${DURATION}$`,
      "^step size started \\(attempt 1\\)$",
      `^step size completed in ${DURATION}$`,
      "^step route started \\(attempt 1\\)$",
      `^step route completed in ${DURATION}$`,
      "^step review started \\(attempt 1\\)$",
      `^step review completed in ${DURATION}$`,
      "^step ship skipped: not reached$",
      `^execution (${UUID}) completed in ${DURATION}$`,
      '^output: \\{"review":\\{"matched":null,"value":"clerk","branch":null\\}\\}$',
    ];
    assert.equal(out.length, expected.length, result.stdout);
    expected.forEach((pattern, index) => assert.match(out[index] ?? "", new RegExp(pattern), `line ${index + 1}`));
    assert.equal(/^execution (\S+)/.exec(out[0] ?? "")?.[1], /^execution (\S+)/.exec(out[12] ?? "")?.[1], "the summary names the execution");
  });

  test("--json prints only one object: execution, status, error, output and every step in definition order", async () => {
    const result = await runCli(["run", WAIT_AND_DECIDE, "--json", "-i", "order.total=5000"]);
    assert.equal(result.code, 0, result.stderr);
    const json = JSON.parse(result.stdout) as RunJson;
    assert.deepEqual(Object.keys(json), ["executionId", "workflowId", "status", "error", "durationMs", "output", "steps"]);
    assert.match(json.executionId, new RegExp(`^${UUID}$`));
    assert.equal(json.status, "completed");
    assert.equal(json.error, null);
    assert.ok(json.durationMs >= 20, "the wait is inside the duration");
    assert.deepEqual(json.output, { review: { matched: 0, value: "manager", branch: null } });
    assert.deepEqual(
      json.steps.map((s) => [s.id, s.status]),
      [
        ["pause", "completed"],
        ["size", "completed"],
        ["route", "completed"],
        ["review", "completed"],
        ["ship", "skipped"],
      ],
    );
    for (const step of json.steps) assert.deepEqual(Object.keys(step), ["id", "status", "attempts", "error", "durationMs", "output"]);
    const size = json.steps[1];
    assert.deepEqual(size?.output, { matched: 0, value: "large", branch: null }, "input.order.total arrived as the number 5000");
    assert.equal(size?.attempts, 1);
    assert.equal(typeof size?.durationMs, "number");
    assert.deepEqual([json.steps[4]?.attempts, json.steps[4]?.durationMs, json.steps[4]?.error], [0, null, "skipped: not reached"]);
  });

  test("--input-json is the base and --input pairs apply on top (JSON values, dotted keys)", async () => {
    const small = await runCli(["run", WAIT_AND_DECIDE, "--json", "--input-json", '{"order":{"total":5,"id":"A-1"}}']);
    assert.equal(small.code, 0, small.stderr);
    assert.deepEqual((JSON.parse(small.stdout) as RunJson).output, { ship: { matched: 0, value: "automatic", branch: null } });

    const overridden = await runCli(["run", WAIT_AND_DECIDE, "--json", "--input-json", '{"order":{"total":5}}', "--input", "order.total=150"]);
    assert.equal(overridden.code, 0, overridden.stderr);
    const json = JSON.parse(overridden.stdout) as RunJson;
    assert.equal((json.steps[1]?.output as { value: string }).value, "large");
    assert.deepEqual(json.output, { review: { matched: null, value: "clerk", branch: null } });
  });

  test("a step that fails fails the execution: exit 1, the error in the step line and the summary", async () => {
    const result = await runCli(["run", `${FIXTURES}/failing-decision.yaml`]);
    assert.equal(result.code, 1, result.stderr);
    const out = lines(result.stdout);
    assert.deepEqual(out.slice(1, 4).map((l) => l.replace(/ in \d.*$/, "")), ["step first started (attempt 1)", "step first completed", "step check started (attempt 1)"]);
    assert.match(out[4] ?? "", /^step check failed: expression "input\.missing\.field == 1" failed: .*missing/);
    assert.equal(out[5], "step last skipped: not reached");
    assert.match(out[6] ?? "", new RegExp(`^execution ${UUID} failed in ${DURATION}: step check failed: expression`));
    assert.equal(out.length, 7, "no output line for a failed execution");
  });

  test("an invalid definition is a usage error: exit 2, every problem with its path on stderr, no database made", async () => {
    const db = tempSqliteDatabase();
    try {
      const result = await runCli(["run", `${FIXTURES}/invalid.yaml`, "--database", db.database]);
      assert.equal(result.code, 2);
      assert.equal(result.stdout, "");
      const err = lines(result.stderr);
      assert.equal(err[0], `error: ${FIXTURES}/invalid.yaml is not a valid workflow definition (5 problems)`);
      assert.deepEqual(
        err.slice(1).map((l) => l.trim().split(/\s+/).slice(0, 2).join(" ")),
        ["6:11 steps[0].type:", "7:18 steps[0].depends_on[0]:", "8:9 steps[1].id:", "10:13 steps[1].config:", "13:18 steps[2].depends_on[0]:"],
      );
      assert.equal(existsSync(db.database), false);
    } finally {
      await db.cleanup();
    }
  });

  test("usage errors exit 2 with a message: bad --input, bad --timeout, missing file", async () => {
    const [badInput, badJson, badTimeout, missing] = await Promise.all([
      runCli(["run", WAIT_AND_DECIDE, "--input", "no-equals-sign"]),
      runCli(["run", WAIT_AND_DECIDE, "--input-json", "[1, 2]"]),
      runCli(["run", WAIT_AND_DECIDE, "--timeout", "5 minutes"]),
      runCli(["run", `${FIXTURES}/missing.yaml`]),
    ]);
    assert.deepEqual([badInput.code, badJson.code, badTimeout.code, missing.code], [2, 2, 2, 2]);
    assert.match(badInput.stderr, /^error: --input "no-equals-sign": write key=value/);
    assert.match(badJson.stderr, /^error: --input-json must be a JSON object/);
    assert.match(badTimeout.stderr, /^error: --timeout: "5 minutes" is not a duration/);
    assert.equal(missing.stderr.trim(), `error: cannot read ${FIXTURES}/missing.yaml: no such file`);
    for (const r of [badInput, badJson, badTimeout, missing]) assert.equal(r.stdout, "");
  });

  test("--database keeps the execution in that SQLite file", async () => {
    const db = tempSqliteDatabase();
    try {
      const result = await runCli(["run", WAIT_AND_DECIDE, "--json", "--database", db.database, "-i", "order.total=7"]);
      assert.equal(result.code, 0, result.stderr);
      const { executionId, workflowId } = JSON.parse(result.stdout) as RunJson;
      const orchestrator = await Orchestrator.open({ database: db.database, logger: silentLogger, startWorkers: false });
      try {
        const execution = await orchestrator.getExecution(executionId);
        assert.equal(execution.status, "completed");
        assert.equal(execution.workflowId, workflowId);
        assert.equal(execution.tenantId, "default", "run uses the built-in default tenant");
        assert.deepEqual(execution.input, { order: { total: 7 } });
        assert.equal((await orchestrator.getWorkflow(workflowId)).name, "wait and decide");
      } finally {
        await orchestrator.close();
      }
    } finally {
      await db.cleanup();
    }
  });

  test("--timeout cancels an execution that runs too long: exit 1", async () => {
    const result = await runCli(["run", `${FIXTURES}/long-wait.yaml`, "--json", "--timeout", "300ms"]);
    assert.equal(result.code, 1, result.stderr);
    const json = JSON.parse(result.stdout) as RunJson;
    assert.equal(json.status, "cancelled");
    assert.equal(json.error, "--timeout 300ms reached; the execution was cancelled");
    assert.deepEqual(json.steps.map((s) => s.status), ["cancelled"]);
    assert.match(result.stderr, /--timeout 300ms reached: cancelling execution/);
  });

  test("Ctrl-C (SIGINT) cancels the execution, prints its state and exits 130", async () => {
    const cli = startCli(["run", `${FIXTURES}/long-wait.yaml`]);
    await cli.waitForLine(/^step hold waiting$/);
    cli.child.kill("SIGINT");
    const result = await cli.done;
    assert.equal(result.code, 130, result.stderr);
    const out = lines(result.stdout);
    assert.match(out.at(-3) ?? "", /^interrupted: cancelling execution /);
    assert.equal(out.at(-2), "step hold cancelled");
    assert.match(out.at(-1) ?? "", new RegExp(`^execution ${UUID} was cancelled in ${DURATION}: cancelled by user$`));
  });
});
