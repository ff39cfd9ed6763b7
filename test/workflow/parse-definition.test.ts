import assert from "node:assert/strict";
import { test } from "node:test";
import { ValidationError, type ValidationIssue } from "../../src/core/errors.js";
import { definitionJsonSchema, parseDefinition, unwrapCreateBody } from "../../src/workflow/index.js";

/** The ValidationError `fn` throws; fails the test when it throws anything else or nothing. */
function issuesOf(fn: () => unknown): { error: ValidationError; issues: ValidationIssue[] } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ValidationError, `expected a ValidationError, got ${String(error)}`);
    assert.equal(error.code, "VALIDATION_FAILED");
    return { error, issues: error.issues };
  }
  assert.fail("expected a ValidationError");
}

test("seed 002 priority words map to 8 / 5 / 2; numbers stay; the workflow default is 5", () => {
  const definition = parseDefinition({
    name: "p",
    tasks: [
      { id: "a", type: "x", priority: "high" },
      { id: "b", type: "x", priority: "medium", dependencies: ["a"] },
      { id: "c", type: "x", priority: "low" },
      { id: "d", type: "x", priority: 7 },
      { id: "e", type: "x" },
    ],
  });
  assert.deepEqual(definition.steps.map((step) => step.priority), [8, 5, 2, 7, undefined]);
  assert.equal(definition.priority, 5);
  assert.equal(parseDefinition({ priority: "low", steps: [] }).priority, 2);
  assert.equal(parseDefinition({ priority: 9, steps: [] }).priority, 9);
});

test("max_attempts and retry_attempts both become retry.maxAttempts (all tries); max_retries counts retries", () => {
  const definition = parseDefinition(`
steps:
  - id: a
    type: http
    retry: { max_attempts: 4, initial_delay: 30s, max_delay: 300s, backoff_factor: 2.5, jitter: 0.2 }
  - id: b
    type: http
    retry: { retry_attempts: 6 }
  - id: c
    type: http
    retry: { max_retries: 2 }
  - id: d
    type: http
    retry: {}
  - id: e
    type: http
`);
  const [a, b, c, d, e] = definition.steps;
  assert.deepEqual(a?.retry, { maxAttempts: 4, initialDelayMs: 30_000, maxDelayMs: 300_000, backoffFactor: 2.5, jitter: 0.2 });
  assert.equal(b?.retry?.maxAttempts, 6);
  assert.equal(c?.retry?.maxAttempts, 3);
  assert.deepEqual(d?.retry, { maxAttempts: 3, initialDelayMs: 1000, maxDelayMs: 60_000, backoffFactor: 2, jitter: 0 });
  assert.equal(e?.retry, undefined);
});

test("durations: a bare number is seconds, strings take units, all become milliseconds", () => {
  const definition = parseDefinition(`
timeout: 300
steps:
  - { id: a, type: wait, timeout: "1h30m" }
  - { id: b, type: wait, timeout: 2.5 }
  - { id: c, type: wait, timeout: "250ms" }
  - { id: d, type: wait, timeout: "45" }
`);
  assert.equal(definition.timeoutMs, 300_000);
  assert.deepEqual(definition.steps.map((step) => step.timeoutMs), [5_400_000, 2500, 250, 45_000]);
});

test("the canonical step fields normalize to camelCase with their defaults", () => {
  const definition = parseDefinition({
    version: 1.0,
    steps: [
      {
        id: "a",
        type: "http",
        when: "input.go == true",
        continue_on_error: true,
        output_mapping: { body: "{{output.body}}" },
        resources: { memory_mb: 512 },
      },
    ],
    triggers: [{ type: "manual", is_enabled: false }],
  });
  assert.equal(definition.schemaVersion, "1.0");
  assert.equal(definition.name, "");
  const [step] = definition.steps;
  assert.equal(step?.name, "a");
  assert.equal(step?.when, "input.go == true");
  assert.equal(step?.continueOnError, true);
  assert.deepEqual(step?.outputMapping, { body: "{{output.body}}" });
  assert.deepEqual(step?.resources, { memoryMb: 512, cpuPercent: 10 });
  assert.deepEqual(step?.config, {});
  assert.deepEqual(definition.triggers, [{ type: "manual", name: "manual", config: {}, enabled: false, configPath: "triggers[0].config" }]);
});

test("dialects: on_success alone makes a branching definition; trigger_type joins the triggers list first", () => {
  const branching = parseDefinition({ steps: [{ id: "a", type: "x", on_failure: ["b"] }, { id: "b", type: "x" }] });
  assert.equal(branching.dialect, "branching");
  assert.deepEqual(branching.steps[0]?.onFailure, ["b"]);
  const both = parseDefinition({
    trigger_type: "schedule",
    trigger_config: { cron: "0 * * * *" },
    triggers: [{ type: "webhook", name: "hook", config: { path: "/x" } }],
    steps: [{ id: "a", type: "x" }],
  });
  assert.deepEqual(
    both.triggers.map((trigger) => [trigger.type, trigger.name, trigger.configPath]),
    [
      ["schedule", "schedule", "trigger_config"],
      ["webhook", "hook", "triggers[0].config"],
    ],
  );
  assert.equal(parseDefinition({ steps: [{ id: "a", type: "x" }] }).dialect, "canonical");
});

test("top-level status, tags, owner_id, is_template, category and metadata are kept in extra", () => {
  const definition = parseDefinition({
    steps: [{ id: "a", type: "x" }],
    status: "paused",
    tags: ["t"],
    owner_id: "u1",
    is_template: true,
    category: "pod_failure",
    metadata: { team: "sre" },
  });
  assert.deepEqual(definition.extra, { status: "paused", tags: ["t"], ownerId: "u1", isTemplate: true, category: "pod_failure", metadata: { team: "sre" } });
});

test("every shape problem is reported at once, with the user's snake_case path and its line", () => {
  const text = [
    "version: '1.0'", // 1
    "name: broken", // 2
    "priority: 11", // 3
    "steps:", // 4
    "  - id: fetch", // 5
    "    type: http", // 6
    "    depend_on: [start]", // 7
    "    timeout: \"5 minutes\"", // 8
    "    retry: { max_attempts: 3, retry_attempts: 2 }", // 9
    "  - id: parse", // 10
    "    depends_on: [fetch, 3]", // 11
    "    input_mapping: { n: 5 }", // 12
    "tasks: []", // 13
    "trigger_config: { x: 1 }", // 14
    "owner: me", // 15
  ].join("\n");
  const { error, issues } = issuesOf(() => parseDefinition(text, { source: "broken.yaml" }));
  const byPath = new Map(issues.map((issue) => [issue.path, issue]));
  assert.deepEqual(
    issues.map((issue) => issue.path),
    [
      "priority",
      "steps[0].depend_on",
      "steps[0].timeout",
      "steps[0].retry.retry_attempts",
      "steps[1].type",
      "steps[1].depends_on[1]",
      "steps[1].input_mapping.n",
      "tasks",
      "trigger_config",
      "owner",
    ],
  );
  assert.match(byPath.get("steps[0].depend_on")?.message ?? "", /^unknown key "depend_on" \(did you mean "depends_on"\?\); known keys: id, name, type, config, depends_on, /);
  assert.match(byPath.get("steps[0].depend_on")?.message ?? "", /\(line 7, column 5\)$/);
  assert.equal(byPath.get("steps[0].depend_on")?.code, "unknown_key");
  assert.match(byPath.get("steps[0].timeout")?.message ?? "", /"5 minutes" is not a duration.*\(line 8, column 14\)$/);
  assert.match(byPath.get("priority")?.message ?? "", /1 to 10/);
  assert.equal(byPath.get("steps[1].type")?.code, "required");
  assert.match(byPath.get("steps[1].type")?.message ?? "", /^required/);
  assert.match(byPath.get("tasks")?.message ?? "", /either steps or tasks/);
  assert.match(byPath.get("owner")?.message ?? "", /unknown key "owner"; known keys: version, id, name, .*owner_id/);
  assert.match(error.message, /^Invalid workflow definition in broken\.yaml \(10 problems\):\n {2}priority: /);
});

test("unknown keys are caught everywhere: retry, resources, triggers, tasks", () => {
  const { issues } = issuesOf(() =>
    parseDefinition({
      steps: [{ id: "a", type: "x", retry: { max_attempt: 3 }, resources: { memory: 1 } }],
      triggers: [{ type: "schedule", enabled: true }],
    }),
  );
  assert.deepEqual(
    issues.map((issue) => [issue.path, issue.code]),
    [
      ["steps[0].retry.max_attempt", "unknown_key"],
      ["steps[0].resources.memory", "unknown_key"],
      ["triggers[0].enabled", "unknown_key"],
    ],
  );
  assert.match(issues[0]?.message ?? "", /did you mean "max_attempts"\?\); known keys: max_attempts, retry_attempts, max_retries, initial_delay, max_delay, backoff_factor, jitter$/);
  const tasks = issuesOf(() => parseDefinition({ tasks: [{ id: "a", type: "x", depends_on: [] }] })).issues;
  assert.deepEqual(tasks.map((issue) => issue.path), ["tasks[0].depends_on"]);
  assert.match(tasks[0]?.message ?? "", /known keys: id, name, type, config, dependencies, priority, timeout, retry$/);
});

test("retry delays must be in order; ids must be usable in templates", () => {
  const { issues } = issuesOf(() =>
    parseDefinition({ id: "my flow", steps: [{ id: "a.b", type: "x", retry: { initial_delay: "10m", max_delay: "1m" } }] }),
  );
  assert.deepEqual(issues.map((issue) => issue.path), ["id", "steps[0].id", "steps[0].retry.initial_delay"]);
  assert.match(issues[2]?.message ?? "", /initial_delay \(600000 ms\) is longer than max_delay \(60000 ms\)/);
});

test("a wrapper's problems are under definition.; the wrapper's own keys are checked too", () => {
  const { issues } = issuesOf(() => unwrapCreateBody({ name: "w", definition: { steps: [{ id: "a", typo: 1, type: "x" }] }, owner: "me" }));
  assert.deepEqual(issues.map((issue) => issue.path), ["owner", "definition.steps[0].typo"]);
  const body = unwrapCreateBody({ name: "bare", steps: [{ id: "a", type: "x" }], tags: ["k"], owner_id: "u" });
  assert.deepEqual([body.name, body.tags, body.ownerId], ["bare", ["k"], "u"]);
});

test("YAML syntax errors report line and column", () => {
  const { issues } = issuesOf(() => parseDefinition("name: x\nsteps:\n  - id: a\n    type: [http\n  - id: b\n"));
  assert.equal(issues.length >= 1, true);
  assert.equal(issues[0]?.path, "(root)");
  assert.equal(issues[0]?.code, "syntax");
  assert.match(issues[0]?.message ?? "", /^YAML syntax error at line \d+, column \d+: /);
  const tabs = issuesOf(() => parseDefinition("steps:\n\t- id: a\n")).issues;
  assert.match(tabs[0]?.message ?? "", /^YAML syntax error at line 2, column 1: /);
  const duplicate = issuesOf(() => parseDefinition("name: a\nname: b\nsteps: []\n")).issues;
  assert.match(duplicate[0]?.message ?? "", /^YAML syntax error at line 2, column 1: Map keys must be unique/);
});

test("JSON syntax errors are clear and carry line and column", () => {
  const { issues, error } = issuesOf(() => parseDefinition('{\n  "name": "x",\n  "steps": [\n    {"id": "a" "type": "x"}\n  ]\n}'));
  assert.deepEqual(issues.map((issue) => issue.path), ["(root)"]);
  assert.match(issues[0]?.message ?? "", /^JSON syntax error at line 4, column 16: Expected ',' or '}' after property value$/);
  assert.match(error.message, /JSON syntax error at line 4, column 16/);
  const truncated = issuesOf(() => parseDefinition('{\n  "steps": [')).issues;
  assert.match(truncated[0]?.message ?? "", /^JSON syntax error at line 2, column 13: Unexpected end of JSON input$/);
  const duplicate = issuesOf(() => parseDefinition('{"steps": [], "steps": []}')).issues;
  assert.match(duplicate[0]?.message ?? "", /^JSON syntax error at line 1, column 15: duplicate key/);
});

test("shape problems in JSON text point at their line too", () => {
  const { issues } = issuesOf(() => parseDefinition('{\n  "steps": [\n    {"id": "a", "type": "x", "timeout": "soon"}\n  ]\n}', { source: "flow.json" }));
  assert.deepEqual(issues.map((issue) => issue.path), ["steps[0].timeout"]);
  assert.match(issues[0]?.message ?? "", /\(line 3, column 41\)$/);
});

test("format: yaml reads text starting with { as YAML flow style", () => {
  const definition = parseDefinition("{ steps: [ { id: a, type: x } ] }", { format: "yaml" });
  assert.deepEqual(definition.steps.map((step) => step.id), ["a"]);
  const { issues } = issuesOf(() => parseDefinition("{ steps: [ { id: a, type: x } ] }"));
  assert.match(issues[0]?.message ?? "", /^JSON syntax error at line 1, column 3/);
});

test("an alias bomb is refused", () => {
  const bomb = [
    'a: &a ["x","x","x","x","x","x","x","x","x"]',
    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
    "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
    "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
    "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
    "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]",
    "steps: *g",
  ].join("\n");
  const started = performance.now();
  const { issues } = issuesOf(() => parseDefinition(bomb));
  assert.deepEqual(issues.map((issue) => [issue.path, issue.code]), [["(root)", "syntax"]]);
  assert.match(issues[0]?.message ?? "", /resource exhaustion/);
  assert.ok(performance.now() - started < 2000);
  // A few aliases are ordinary YAML and load.
  const shared = parseDefinition("x: &cfg { url: 'http://a' }\nsteps:\n  - { id: a, type: http, config: *cfg }\n  - { id: b, type: http, config: *cfg }\n".replace("x: ", "variables: "));
  assert.deepEqual(shared.steps[1]?.config, { url: "http://a" });
});

test("empty input, a list and a scalar are not definitions", () => {
  for (const [text, pattern] of [
    ["", /the definition is empty/],
    ["- a\n- b\n", /not a list/],
    ["hello", /not a string/],
  ] as const) {
    const { issues } = issuesOf(() => parseDefinition(text));
    assert.equal(issues[0]?.path, "(root)");
    assert.match(issues[0]?.message ?? "", pattern);
  }
  const missing = issuesOf(() => parseDefinition({ name: "x" })).issues;
  assert.deepEqual(missing.map((issue) => [issue.path, issue.code]), [["steps", "required"]]);
});

test("loading does not check step types: any type name loads", () => {
  const definition = parseDefinition({ steps: [{ id: "a", type: "no-such-type" }] });
  assert.equal(definition.steps[0]?.type, "no-such-type");
});

test("definitionJsonSchema describes the raw form and forbids unknown keys", () => {
  const schema = definitionJsonSchema() as {
    additionalProperties: boolean;
    properties: { steps: { items: { additionalProperties: boolean; properties: Record<string, unknown> } } };
  };
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.properties.steps.items.additionalProperties, false);
  assert.ok("depends_on" in schema.properties.steps.items.properties);
  assert.ok("on_failure" in schema.properties.steps.items.properties);
  assert.ok(JSON.stringify(schema).includes("high"));
});
