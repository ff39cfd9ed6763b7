// `synergymesh validate` as a child process: valid and invalid files, the JSON report, exit codes.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { FIXTURES, lines, runCli } from "./cli-process.js";

describe("synergymesh validate", () => {
  test("a definition of built-in step types is valid: exit 0", async () => {
    const result = await runCli(["validate", `${FIXTURES}/wait-and-decide.yaml`]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(lines(result.stdout), [`${FIXTURES}/wait-and-decide.yaml: valid`]);
    assert.equal(result.stderr, "");
  });

  test("every problem is listed with its line:column and path, grouped by file: exit 1", async () => {
    const result = await runCli(["validate", `${FIXTURES}/invalid.yaml`, `${FIXTURES}/wait-and-decide.yaml`]);
    assert.equal(result.code, 1, result.stderr);
    const out = lines(result.stdout);
    assert.equal(out[0], `${FIXTURES}/invalid.yaml: 5 problems`);
    const problems = out.slice(1, 6);
    assert.match(problems[0] ?? "", /^ {2}6:11 {3}steps\[0\]\.type: unknown step type "teleport"; known types: (\w+, )*decision(, \w+)*, wait\b.* \[unknown_type\]$/);
    assert.match(problems[1] ?? "", /^ {2}7:18 {3}steps\[0\]\.depends_on\[0\]: depends on "nowhere".* \[unknown_step\]$/);
    assert.match(problems[2] ?? "", /^ {2}8:9 {4}steps\[1\]\.id: duplicate step id "fetch".* \[duplicate_id\]$/);
    assert.match(problems[3] ?? "", /^ {2}10:13 {2}steps\[1\]\.config: give exactly one of duration or until \[config\]$/);
    assert.match(problems[4] ?? "", /^ {2}13:18 {2}steps\[2\]\.depends_on\[0\]: .*cycle: a -> b -> a \[cycle\]$/);
    assert.equal(out[6], `${FIXTURES}/wait-and-decide.yaml: valid`);
    assert.equal(out[7], "2 files: 1 valid, 1 invalid");
  });

  test("unregistered types (seed 002's task types) are reported as unknown, with the known types (SPEC D)", async () => {
    const result = await runCli(["validate", "examples/seeds/002-full-stack-development.json"]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^ {2}7:21 {3}tasks\[0\]\.type: unknown step type "analysis"; known types: (\w+, )*decision, (\w+, )*wait\b/m);
  });

  test("--json prints { files: [{ file, valid, issues: [{ path, message, code, line, column }] }] }", async () => {
    const result = await runCli(["validate", "--json", `${FIXTURES}/wait-and-decide.yaml`, `${FIXTURES}/invalid.yaml`]);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as { files: Array<{ file: string; valid: boolean; issues: Array<Record<string, unknown>> }> };
    assert.deepEqual(Object.keys(report), ["files"]);
    assert.deepEqual(report.files[0], { file: `${FIXTURES}/wait-and-decide.yaml`, valid: true, issues: [] });
    const invalid = report.files[1];
    assert.equal(invalid?.file, `${FIXTURES}/invalid.yaml`);
    assert.equal(invalid?.valid, false);
    assert.deepEqual(
      invalid?.issues.map((i) => [i.path, i.code, i.line, i.column]),
      [
        ["steps[0].type", "unknown_type", 6, 11],
        ["steps[0].depends_on[0]", "unknown_step", 7, 18],
        ["steps[1].id", "duplicate_id", 8, 9],
        ["steps[1].config", "config", 10, 13],
        ["steps[2].depends_on[0]", "cycle", 13, 18],
      ],
    );
    assert.equal(invalid?.issues[3]?.message, "give exactly one of duration or until", "the position is in line/column, not the message");
  });

  test("a syntax error is a problem at (root) with its position", async () => {
    const result = await runCli(["validate", "--json", `${FIXTURES}/syntax-error.yaml`]);
    assert.equal(result.code, 1);
    const issue = (JSON.parse(result.stdout) as { files: Array<{ issues: Array<Record<string, unknown>> }> }).files[0]?.issues[0];
    assert.equal(issue?.path, "(root)");
    assert.equal(issue?.code, "syntax");
    assert.equal(issue?.line, 5);
    assert.equal(issue?.column, 5);
  });

  test("a missing file is a usage error naming the file: exit 2, nothing validated", async () => {
    const result = await runCli(["validate", `${FIXTURES}/wait-and-decide.yaml`, `${FIXTURES}/no-such-file.yaml`]);
    assert.equal(result.code, 2);
    assert.equal(result.stdout, "");
    assert.equal(result.stderr.trim(), `error: cannot read ${FIXTURES}/no-such-file.yaml: no such file`);
  });

  test("no file at all is a usage error: exit 2", async () => {
    const result = await runCli(["validate"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /missing required argument 'files'/);
  });
});
