// `--input key=value` and `--input-json` of `synergymesh run`.
import assert from "node:assert/strict";
import { test } from "node:test";
import { UsageError } from "../../src/cli/cli-io.js";
import { buildExecutionInput, parseInputValue } from "../../src/cli/run-input.js";

test("values are JSON when they parse, else the string as written", () => {
  assert.equal(parseInputValue("5"), 5);
  assert.equal(parseInputValue("true"), true);
  assert.equal(parseInputValue("null"), null);
  assert.deepEqual(parseInputValue('["a",1]'), ["a", 1]);
  assert.equal(parseInputValue('"quoted"'), "quoted");
  assert.equal(parseInputValue("ada"), "ada");
  assert.equal(parseInputValue("007"), "007", "not JSON: kept as written");
  assert.equal(parseInputValue(""), "");
  assert.equal(parseInputValue("a=b"), "a=b");
});

test("dotted keys nest; later pairs win; --input-json is the base", () => {
  assert.deepEqual(buildExecutionInput(["order.total=150", "order.id=A-1", "name=ada", "expr=x=y"]), { order: { total: 150, id: "A-1" }, name: "ada", expr: "x=y" });
  assert.deepEqual(buildExecutionInput(["n=1", "n=2"]), { n: 2 });
  assert.deepEqual(buildExecutionInput(["order.total=9"], '{"order":{"total":1,"id":"B"},"keep":true}'), { order: { total: 9, id: "B" }, keep: true });
  assert.deepEqual(buildExecutionInput([]), {});
});

test("no key can reach a prototype", () => {
  const input = buildExecutionInput(["__proto__.polluted=1", "constructor.prototype.x=2"]);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(input), Object.prototype);
  assert.deepEqual(JSON.parse(JSON.stringify(input)), JSON.parse('{"__proto__":{"polluted":1},"constructor":{"prototype":{"x":2}}}'));
});

test("bad pairs and bad JSON are usage errors that say what to write", () => {
  assert.throws(() => buildExecutionInput(["novalue"]), (e: unknown) => e instanceof UsageError && /write key=value/.test(e.message));
  assert.throws(() => buildExecutionInput(["=5"]), UsageError);
  assert.throws(() => buildExecutionInput(["a..b=1"]), /empty part/);
  assert.throws(() => buildExecutionInput(["a=1", "a.b=2"]), /a is already set to a value that is not an object/);
  assert.throws(() => buildExecutionInput([], "{nope"), /--input-json is not valid JSON/);
  assert.throws(() => buildExecutionInput([], "[1]"), /--input-json must be a JSON object/);
});
