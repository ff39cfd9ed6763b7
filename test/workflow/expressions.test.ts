import assert from "node:assert/strict";
import { test } from "node:test";
import { SynergyMeshError } from "../../src/core/errors.js";
import {
  EXPRESSION_LIMITS,
  buildExpressionContext,
  checkExpression,
  compileExpression,
  evaluateCondition,
  evaluateExpression,
  renameLoopRoot,
} from "../../src/workflow/expressions.js";

function expressionError(fn: () => unknown): SynergyMeshError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SynergyMeshError, `expected a SynergyMeshError, got ${String(error)}`);
    assert.equal(error.code, "EXPRESSION_ERROR");
    return error;
  }
  assert.fail("expected EXPRESSION_ERROR");
}

const seed003 = buildExpressionContext({
  input: { pod: "api-7f9", count: 7 },
  steps: {
    collect_logs: { status: "completed", output: { lines: 100 } },
    ai_analysis: { status: "completed", output: { analysis: { root_cause: "OOM", confidence: 0.93 } } },
  },
});

test("seed 003's decision conditions, single-quoted literals included, read merged step outputs", () => {
  assert.equal(evaluateCondition("analysis.root_cause == 'OOM'", seed003), true);
  assert.equal(evaluateCondition("analysis.root_cause == 'Config'", seed003), false);
  const config = buildExpressionContext({ steps: { ai_analysis: { status: "completed", output: { analysis: { root_cause: "Config" } } } } });
  assert.equal(evaluateCondition("analysis.root_cause == 'OOM'", config), false);
  assert.equal(evaluateCondition("analysis.root_cause == 'Config'", config), true);
  assert.equal(evaluateCondition('analysis.confidence > 0.9 && steps.ai_analysis.status == "completed"', seed003), true);
});

test("the merged context: explicit roots win, later steps in definition order win, only completed steps merge", () => {
  const context = buildExpressionContext({
    input: { from: "input" },
    variables: { region: "eu" },
    steps: {
      b: { status: "completed", output: { shared: "from b", input: "shadow attempt", onlyB: 1 } },
      a: { status: "completed", output: { shared: "from a", steps: "shadow attempt" } },
      broken: { status: "failed", output: { onlyBroken: true } },
      later: { status: "pending" },
    },
    stepOrder: ["a", "b", "broken", "later"],
    execution: { id: "exec-1" },
  });
  assert.equal(evaluateExpression("shared", context), "from b", "b comes after a in the definition");
  assert.equal(evaluateExpression("input.from", context), "input");
  assert.equal(evaluateExpression("steps.a.output.shared", context), "from a");
  assert.equal(evaluateExpression("steps.broken.status", context), "failed");
  assert.equal(evaluateExpression("steps.later.output", context), null);
  assert.equal(evaluateExpression("variables.region + '/' + execution.id", context), "eu/exec-1");
  assert.equal(evaluateCondition("has(steps.broken.output.onlyBroken)", context), true);
  expressionError(() => evaluateExpression("onlyBroken", context));

  const defaultOrder = buildExpressionContext({ steps: { a: { status: "completed", output: { k: 1 } }, b: { status: "completed", output: { k: 2 } } } });
  assert.equal(evaluateExpression("k", defaultOrder), 2, "without stepOrder, the record's key order");
});

test("JSON numbers are doubles: comparisons with int literals work, arithmetic needs double literals", () => {
  const context = buildExpressionContext({ input: { count: 7, price: 2.5, items: [1, 2, 3] } });
  assert.equal(evaluateCondition("input.count > 5", context), true);
  assert.equal(evaluateCondition("input.count == 7", context), true);
  assert.equal(evaluateCondition("input.count == 7.0", context), true);
  assert.equal(evaluateCondition("input.count in [5, 7]", context), true);
  assert.equal(evaluateCondition("input.price < 3", context), true);
  assert.equal(evaluateCondition("size(input.items) == 3 && size(input.items) < input.count", context), true);
  assert.equal(evaluateExpression("input.count + 1.0", context), 8);
  assert.equal(evaluateExpression("int(input.count) % 2", context), 1);
  assert.equal(evaluateExpression("size(input.items)", context), 3, "CEL ints come back as JS numbers");
  assert.match(expressionError(() => evaluateExpression("input.count + 1", context)).message, /no such overload: dyn<double> \+ int/);
  assert.match(checkExpression("1 == 1.0") ?? "", /does not type-check: no such overload: int == double/);
});

test("a condition that gives anything but a bool is an EXPRESSION_ERROR naming the type", () => {
  const cases: [string, RegExp][] = [
    ["analysis.root_cause", /gave a string/],
    ["input.count", /gave a double/],
    ["size(input)", /gave an int/],
    ["analysis", /gave a map/],
    ["[true]", /gave a list/],
    ["null", /gave null/],
  ];
  for (const [source, expected] of cases) {
    const error = expressionError(() => evaluateCondition(source, seed003, { path: "steps[3].when" }));
    assert.match(error.message, /must be true or false/);
    assert.match(error.message, expected, source);
    assert.deepEqual(error.details, { expression: source, path: "steps[3].when" });
  }
});

test("no prototype, global or function access", () => {
  const context = buildExpressionContext({ input: { count: 1, nested: { a: 1 } } });
  for (const source of ["input.constructor", "input.__proto__", "input['constructor']", "input.nested.constructor.name", "input.toString", "input.hasOwnProperty"]) {
    assert.match(expressionError(() => evaluateExpression(source, context)).message, /No such key/, source);
  }
  for (const source of ["toString", "constructor", "process", "globalThis", "require", "Function"]) {
    expressionError(() => evaluateExpression(source, context));
  }
  assert.equal(evaluateCondition("has(input.constructor)", context), false);
  assert.equal(evaluateCondition("has(input.nested.a)", context), true);
  expressionError(() => evaluateExpression("input.nested.inherited", { input: { nested: Object.create({ inherited: 1 }) as object } }));
  expressionError(() => evaluateExpression("inherited", Object.create({ inherited: 1 }) as Record<string, unknown>));
  expressionError(() => evaluateExpression("input.f()", { input: { f: () => 1 } }));
  assert.equal(evaluateExpression("input['__proto__'].x", { input: JSON.parse('{"__proto__": {"x": 5}}') as object }), 5, "an own __proto__ key is plain data");
});

test("limits: long sources, deep nesting, nested comprehensions and regular expressions are refused at compile time", () => {
  const long = `input.a == '${"x".repeat(EXPRESSION_LIMITS.maxSourceLength)}'`;
  assert.match(checkExpression(long) ?? "", /characters long; the limit is 4096/);
  assert.match(checkExpression(`${"(".repeat(40)}true${")".repeat(40)}`) ?? "", /maxDepth/);
  assert.equal(checkExpression(`${"(".repeat(10)}true${")".repeat(10)}`), undefined);
  assert.equal(checkExpression("input.a.all(x, x.b.exists(y, y > 1.0))"), undefined);
  assert.match(checkExpression("input.a.all(x, x.b.exists(y, y.c.exists(z, z > 1.0)))") ?? "", /nests comprehensions/);
  assert.match(checkExpression("cel.bind(a, [1, 2], cel.bind(b, a + a, cel.bind(c, b + b, c)))") ?? "", /nests comprehensions/);
  assert.match(checkExpression("input.name.matches('^(a+)+$')") ?? "", /cannot use matches/);
  assert.match(checkExpression("") ?? "", /is empty/);
  assert.match(checkExpression("input.a == ") ?? "", /does not compile: Unexpected token: EOF \(at column/);
  assert.match(checkExpression("input.a + 'x' == 1 + 'y'") ?? "", /does not type-check/);
  assert.equal(checkExpression("analysis.root_cause == 'OOM'"), undefined);
});

test("compiled expressions are cached, least recently used evicted first", () => {
  const first = compileExpression("input.cached == 1.0");
  assert.equal(compileExpression("input.cached == 1.0"), first);
  for (let i = 0; i < EXPRESSION_LIMITS.cacheSize - 1; i++) compileExpression(`input.filler == ${i}.0`);
  assert.equal(compileExpression("input.cached == 1.0"), first, "touched again, so it is the most recent");
  for (let i = 0; i < EXPRESSION_LIMITS.cacheSize; i++) compileExpression(`input.other == ${i}.0`);
  const again = compileExpression("input.cached == 1.0");
  assert.notEqual(again, first);
  assert.equal(again.test({ input: { cached: 1 } }), true);
});

test("loop, reserved in CEL, can be written in expressions; strings and fields named loop are left alone", () => {
  const context = buildExpressionContext({ input: { loop: "field" }, loop: { item: { name: "a" }, index: 2 } });
  assert.equal(evaluateCondition("loop.index < 3", context), true);
  assert.equal(evaluateExpression("loop.index + 1", context), 3, "loop.index is an int");
  assert.equal(evaluateCondition("loop.item.name == 'a' && input.loop == 'field'", context), true);
  assert.equal(evaluateExpression("'loop' + \"loop\" + input.loop // loop", context), "looploopfield");
  assert.deepEqual(renameLoopRoot("loop.x + 'loop' + a.loop + r'loop' + '''it's loop''' + loopy"), { text: "_lp_.x + 'loop' + a.loop + r'loop' + '''it's loop''' + loopy", renamed: true });
  const outside = expressionError(() => evaluateCondition("loop.index < 3", buildExpressionContext({})));
  assert.match(outside.message, /Unknown variable: loop/);
  assert.doesNotMatch(outside.message, /_lp_/);
});

test("errors carry the expression, the path and CEL's own code; results are plain JSON values", () => {
  const error = expressionError(() => evaluateExpression("input.missing == 1.0", seed003, { path: "steps[2].when" }));
  assert.match(error.message, /^steps\[2\]\.when: expression "input\.missing == 1\.0" failed: No such key: missing/);
  assert.equal(error.details?.expression, "input.missing == 1.0");
  assert.equal(error.details?.path, "steps[2].when");
  assert.equal(error.details?.celCode, "no_such_key");
  assert.deepEqual(evaluateExpression("{'n': 1, 'list': [1, 2.5, 'x'], 'm': {'k': true}}", {}), { n: 1, list: [1, 2.5, "x"], m: { k: true } });
  assert.equal(evaluateExpression("5u", {}), 5);
  assert.match(expressionError(() => evaluateExpression("9223372036854775807", {})).message, /beyond what a JSON number holds/);
});
