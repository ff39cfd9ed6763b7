import assert from "node:assert/strict";
import { test } from "node:test";
import * as z from "zod";
import { ValidationError } from "../../src/core/errors.js";
import {
  checkDefinition,
  parseDefinition,
  requireValidDefinition,
  validateDefinition,
  validateOrThrow,
  type StepTypeInfo,
} from "../../src/workflow/index.js";

/** Stand-ins for the template and expression checkers, injected as the engine will inject the real ones. */
const checkTemplate = (text: string): string[] => (text.includes("{{") && !text.includes("}}") ? ["a template is not closed with }}"] : []);
const checkExpression = (source: string): string | undefined => (source.includes("===") ? "CEL has no ===; use ==" : undefined);

const httpConfig = z.strictObject({ url: z.string(), method: z.enum(["GET", "POST"]).optional() });
const stepTypes: ReadonlyMap<string, StepTypeInfo> = new Map<string, StepTypeInfo>([
  ["http", { configSchema: httpConfig }],
  ["decision", {}],
  ["notification", {}],
]);
const options = { stepTypes, checkTemplate, checkExpression };

const BROKEN = `version: "1.0"
name: everything wrong
steps:
  - id: fetch
    type: http
    config: { url: "https://example.com/{{variables.path" }
    depend_on: [start]
    timeout: "5 minutes"
  - id: parse
    type: http
    config: { url: 5, methd: GET }
    depends_on: [fetch, ghost]
    when: "input.x === 1"
  - id: decide
    type: decision
    depends_on: [parse]
    config:
      conditions:
        - if: "parse.kind == 'a'"
          then: notfy
        - if: "parse.kind == 'b'"
          then: notify
        - if: "parse.kind === 'c'"
          then: plain-value
    on_failure: [nowhere]
  - id: notify
    type: notification
    depends_on: [cleanup]
  - id: cleanup
    type: notification
    depends_on: [notify]
  - id: parse
    type: htp
triggers:
  - type: schedule
    config: { cron: "0 25 * * *", timezone: "Mars/Olympus" }
`;

test("a definition with every kind of problem reports them all at once, each at its path", () => {
  const { definition, issues } = checkDefinition(BROKEN, options);
  assert.equal(definition, undefined, "shape problems mean it does not load");
  assert.deepEqual(
    issues.map((issue) => [issue.path, issue.code]),
    [
      ["steps[0].config.url", "template"],
      ["steps[0].depend_on", "unknown_key"],
      ["steps[0].timeout", "invalid"],
      ["steps[1].config.url", "config"],
      ["steps[1].config.methd", "unknown_key"],
      ["steps[1].depends_on[1]", "unknown_step"],
      ["steps[1].when", "expression"],
      ["steps[2].config.conditions[0].then", "unknown_step"],
      ["steps[2].config.conditions[2].if", "expression"],
      ["steps[2].on_failure[0]", "unknown_step"],
      ["steps[3].depends_on[0]", "cycle"],
      ["steps[5].id", "duplicate_id"],
      ["steps[5].type", "unknown_type"],
      ["triggers[0].config.cron", "cron"],
      ["triggers[0].config.timezone", "cron"],
    ],
  );
  const message = (path: string) => issues.find((issue) => issue.path === path)?.message ?? "";
  assert.match(message("steps[3].depends_on[0]"), /^steps wait for each other in a cycle: notify -> cleanup -> notify \(line 28, column 18\)$/);
  assert.match(message("steps[1].depends_on[1]"), /"ghost", which is not a step of this workflow; known steps: fetch, parse, decide, notify, cleanup/);
  assert.match(message("steps[2].config.conditions[0].then"), /^"notfy" names no step, so it would be output as a value, but it is close to step "notify"/);
  assert.match(message("steps[5].id"), /duplicate step id "parse": steps\[1\] has it already/);
  assert.match(message("steps[5].type"), /unknown step type "htp" \(did you mean "http"\?\); known types: decision, http, notification/);
  assert.match(message("triggers[0].config.cron"), /"0 25 \* \* \*" is not a valid cron pattern/);
  assert.match(message("triggers[0].config.timezone"), /not a known IANA time zone/);
  assert.match(message("steps[0].config.url"), /^a template is not closed with }}/);
  assert.match(message("steps[1].when"), /^CEL has no ===; use ==/);
});

test("requireValidDefinition throws one ValidationError carrying every problem", () => {
  assert.throws(
    () => requireValidDefinition(BROKEN, { ...options, source: "broken.yaml" }),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.equal(error.issues.length, 15);
      assert.match(error.message, /^Invalid workflow definition in broken\.yaml \(15 problems\):\n/);
      assert.match(error.message, /\n {2}steps\[0\]\.depend_on: unknown key "depend_on"/);
      return true;
    },
  );
});

test("validateOrThrow lists every semantic problem of a loaded model; a valid one is returned", () => {
  const definition = parseDefinition({
    name: "loop",
    steps: [
      { id: "a", type: "http", config: { url: "x" }, depends_on: ["c"] },
      { id: "b", type: "http", config: { url: "x" }, depends_on: ["a"], on_success: ["b"] },
      { id: "c", type: "http", config: { url: "x" }, depends_on: ["b"] },
      { id: "a", type: "mystery" },
    ],
  });
  assert.throws(
    () => validateOrThrow(definition, options),
    (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.deepEqual(
        error.issues.map((issue) => [issue.path, issue.code, issue.message]),
        [
          ["steps[3].id", "duplicate_id", 'duplicate step id "a": steps[0] has it already'],
          ["steps[3].type", "unknown_type", 'unknown step type "mystery"; known types: decision, http, notification'],
          ["steps[0].depends_on[0]", "cycle", "steps wait for each other in a cycle: a -> b -> c -> a"],
          ["steps[1].on_success[0]", "cycle", 'step "b" waits for itself: b -> b'],
        ],
      );
      assert.match(error.message, /^Invalid workflow "loop" \(4 problems\):/);
      return true;
    },
  );
  const fine = parseDefinition({ steps: [{ id: "a", type: "http", config: { url: "https://x" } }] });
  assert.equal(validateOrThrow(fine, options), fine);
});

test("seed 002 paths stay in its own words: tasks[n].dependencies[m]", () => {
  const definition = parseDefinition({
    tasks: [
      { id: "a", type: "notification", dependencies: ["b"] },
      { id: "b", type: "notification", dependencies: ["a", "zzz"] },
    ],
  });
  assert.deepEqual(
    validateDefinition(definition, options).map((issue) => [issue.path, issue.code]),
    [
      ["tasks[1].dependencies[1]", "unknown_step"],
      ["tasks[0].dependencies[0]", "cycle"],
    ],
  );
});

test("config is checked against the step type's schema with paths under config, nested included", () => {
  const deep = z.object({ request: z.object({ headers: z.record(z.string(), z.string()), retries: z.array(z.int()) }) });
  const definition = parseDefinition({ steps: [{ id: "a", type: "deep", config: { request: { headers: { "X-Key": 1 }, retries: [1, "two"] } } }] });
  const issues = validateDefinition(definition, { stepTypes: new Map([["deep", { configSchema: deep }]]) });
  assert.deepEqual(
    issues.map((issue) => [issue.path, issue.code]),
    [
      ['steps[0].config.request.headers["X-Key"]', "config"],
      ["steps[0].config.request.retries[1]", "config"],
    ],
  );
});

test("templates are checked in config, input_mapping and output_mapping, nested, with precise paths", () => {
  const definition = parseDefinition({
    steps: [
      {
        id: "a",
        type: "notification",
        config: { channels: [{ target: "ok" }, { target: "{{input.x" }], body: { text: "{{steps.a.output}}" } },
        input_mapping: { who: "{{variables.who" },
        output_mapping: { id: "{{output.id" },
      },
    ],
  });
  const seen: string[] = [];
  const issues = validateDefinition(definition, {
    stepTypes,
    checkTemplate: (text) => {
      seen.push(text);
      return checkTemplate(text);
    },
  });
  assert.deepEqual(
    issues.map((issue) => issue.path),
    ["steps[0].config.channels[1].target", "steps[0].input_mapping.who", "steps[0].output_mapping.id"],
  );
  assert.deepEqual(seen.sort(), ["ok", "{{input.x", "{{output.id", "{{steps.a.output}}", "{{variables.who"].sort());
});

test("a template naming a step that does not exist is reported even without a template checker", () => {
  const definition = parseDefinition({
    steps: [
      { id: "fetch", type: "notification" },
      { id: "save", type: "notification", input_mapping: { data: "{{ steps.fetchh.output.body }}", ok: "{{steps.fetch.output}}" } },
    ],
  });
  const issues = validateDefinition(definition, { stepTypes });
  assert.deepEqual(issues.map((issue) => [issue.path, issue.code]), [["steps[1].input_mapping.data", "unknown_step"]]);
  assert.match(issues[0]?.message ?? "", /"fetchh".*\(did you mean "fetch"\?\)/);
});

test("decision steps: a then naming a step is a branch, other values are output; typos and bad shapes are reported", () => {
  const definition = parseDefinition({
    steps: [
      {
        id: "decide",
        type: "decision",
        config: {
          conditions: [
            { if: "x == 1", then: "notify_success" },
            { if: "x == 2", then: "increase_memory" },
            { if: "x == 3", then: "notify_sucess" },
            { if: "", then: 1 },
            { then: 2, else: 3 },
            "nonsense",
            { if: "x === 4", then: { any: "value" } },
          ],
          default: "notify_failur",
        },
      },
      { id: "notify_success", type: "notification" },
      { id: "notify_failure", type: "notification" },
    ],
  });
  const issues = validateDefinition(definition, options);
  assert.deepEqual(
    issues.map((issue) => [issue.path, issue.code]),
    [
      ["steps[0].config.conditions[3].if", "invalid"],
      ["steps[0].config.conditions[4].else", "unknown_key"],
      ["steps[0].config.conditions[4].if", "required"],
      ["steps[0].config.conditions[5]", "invalid"],
      ["steps[0].config.conditions[6].if", "expression"],
      ["steps[0].config.conditions[2].then", "unknown_step"],
      ["steps[0].config.default", "unknown_step"],
    ],
  );
  assert.match(issues[6]?.message ?? "", /close to step "notify_failure"/);
  const notAList = parseDefinition({ steps: [{ id: "d", type: "decision", config: { conditions: { if: "x" } } }] });
  assert.deepEqual(validateDefinition(notAList, options).map((issue) => issue.path), ["steps[0].config.conditions"]);
});

test("a registered decision schema owns the shape; branches and expressions are still checked", () => {
  const decisionSchema = z.strictObject({ conditions: z.array(z.strictObject({ if: z.string().min(1), then: z.unknown() })), default: z.unknown().optional() });
  const definition = parseDefinition({
    steps: [
      { id: "d", type: "decision", config: { conditions: [{ if: "a === b", then: "nxt" }, { iff: "x", then: 1 }] } },
      { id: "next", type: "notification" },
    ],
  });
  const issues = validateDefinition(definition, { ...options, stepTypes: new Map([...stepTypes, ["decision", { configSchema: decisionSchema }]]) });
  assert.deepEqual(
    issues.map((issue) => [issue.path, issue.code]),
    [
      ["steps[0].config.conditions[1].if", "config"],
      ["steps[0].config.conditions[1].iff", "unknown_key"],
      ["steps[0].config.conditions[0].if", "expression"],
      ["steps[0].config.conditions[0].then", "unknown_step"],
    ],
  );
});

test("condition steps (seed 001): then / else must name steps; the expression is checked", () => {
  const definition = parseDefinition({
    steps: [
      { id: "check", type: "condition", config: { expression: "input.n === 1", then: "yes", else: "maybe" } },
      { id: "yes", type: "notification" },
    ],
  });
  assert.deepEqual(
    validateDefinition(definition, { ...options, stepTypes: new Map([...stepTypes, ["condition", {}]]) }).map((issue) => [issue.path, issue.code]),
    [
      ["steps[0].config.expression", "expression"],
      ["steps[0].config.else", "unknown_step"],
    ],
  );
});

test("schedule triggers: 5 or 6 fields or a nickname, a date that exists, a real zone; trigger_config paths", () => {
  const cases: Array<[string, boolean]> = [
    ["0 2 * * *", true],
    ["0 0 2 * * *", true],
    ["@daily", true],
    ["0 2 * * MON-FRI", true],
    ["* * *", false],
    ["0 0 0 2 * * 2030", false],
    ["61 * * * *", false],
    ["0 0 31 2 *", false],
    ["@sometimes", false],
  ];
  for (const [cron, ok] of cases) {
    const definition = parseDefinition({ steps: [{ id: "a", type: "notification" }], triggers: [{ type: "schedule", config: { cron } }] });
    const issues = validateDefinition(definition, options);
    assert.equal(issues.length === 0, ok, `${cron}: ${JSON.stringify(issues)}`);
    if (!ok) assert.deepEqual(issues.map((issue) => [issue.path, issue.code]), [["triggers[0].config.cron", "cron"]]);
  }
  const seed003 = parseDefinition({ trigger_type: "schedule", trigger_config: { timezone: "Europe/Nowhere" }, steps: [{ id: "a", type: "notification" }] });
  assert.deepEqual(
    validateDefinition(seed003, options).map((issue) => [issue.path, issue.code]),
    [
      ["trigger_config.cron", "required"],
      ["trigger_config.timezone", "cron"],
    ],
  );
  const zoned = parseDefinition({ steps: [{ id: "a", type: "notification" }], triggers: [{ type: "schedule", config: { cron: "0 2 * * *", timezone: "Asia/Shanghai" } }] });
  assert.deepEqual(validateDefinition(zoned, options), []);
});

test("an empty step list loads but does not validate", () => {
  const definition = parseDefinition({ name: "empty", steps: [] });
  assert.deepEqual(validateDefinition(definition, options).map((issue) => issue.path), ["steps"]);
});

test("checkDefinition returns the model when the input loads, with validation problems beside it", () => {
  const result = checkDefinition({ steps: [{ id: "a", type: "unknown_kind" }] }, options);
  assert.equal(result.definition?.steps[0]?.id, "a");
  assert.deepEqual(result.issues.map((issue) => issue.path), ["steps[0].type"]);
  const wrapped = checkDefinition({ name: "w", definition: { steps: [{ id: "a", type: "unknown_kind", depends_on: ["b"] }] } }, options);
  assert.deepEqual(wrapped.issues.map((issue) => issue.path), ["definition.steps[0].type", "definition.steps[0].depends_on[0]"]);
  const syntax = checkDefinition("steps: [", options);
  assert.deepEqual(syntax.issues.map((issue) => issue.code), ["syntax"]);
});

test("problems under a field that is already wrong are not repeated", () => {
  const { issues } = checkDefinition(
    { steps: [{ id: "a", type: 7 }, { id: "b", type: "http", config: "not an object" }, "not a step", { id: "c", type: "notification", depends_on: ["a", "b"] }] },
    options,
  );
  assert.deepEqual(
    issues.map((issue) => [issue.path, issue.code]),
    [
      ["steps[0].type", "invalid"],
      ["steps[1].config", "invalid"],
      ["steps[2]", "invalid"],
    ],
  );
});
