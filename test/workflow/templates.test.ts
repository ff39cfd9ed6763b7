import assert from "node:assert/strict";
import { test } from "node:test";
import { SynergyMeshError } from "../../src/core/errors.js";
import { checkTemplate, renderTemplate, renderWithSecrets, templateReferences, type TemplateScope } from "../../src/workflow/templates.js";

const scope: TemplateScope = {
  variables: { input_file: "/data/in.csv", batch_size: 100, api_endpoint: "https://api.example.com/v1", flags: { dry: true }, none: null },
  input: { user_id: "u-1", "user-id": "u-2", count: 3, items: [{ name: "first" }, { name: "second" }], "a.b": "dotted", "x}}y": "braces" },
  steps: {
    fetch_data: { status: "completed", output: { body: { rows: [1, 2] }, items: [{ name: "n0" }] } },
    "fetch-data": { status: "completed", output: { ok: true } },
    failed_one: { status: "failed" },
  },
  secrets: { api_token: "tok-123456", short: "s3cr3t-value" },
  execution: { id: "0190d0a0-0000-7000-8000-000000000001", workflowId: "wf-1" },
};

function templateError(fn: () => unknown): SynergyMeshError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SynergyMeshError, `expected a SynergyMeshError, got ${String(error)}`);
    assert.equal(error.code, "TEMPLATE_ERROR");
    return error;
  }
  assert.fail("expected TEMPLATE_ERROR");
}

test("a string that is exactly one template keeps the value's type", () => {
  assert.equal(renderTemplate("{{variables.batch_size}}", scope), 100);
  assert.equal(renderTemplate("{{ variables.flags.dry }}", scope), true);
  assert.deepEqual(renderTemplate("{{variables.flags}}", scope), { dry: true });
  assert.deepEqual(renderTemplate("{{input.items}}", scope), [{ name: "first" }, { name: "second" }]);
  assert.equal(renderTemplate("{{variables.none}}", scope), null);
  assert.equal(renderTemplate("{{\n  variables.input_file\t}}", scope), "/data/in.csv");
});

test("templates inside text are written as text; objects as JSON, null as null", () => {
  assert.equal(renderTemplate("file={{variables.input_file}} n={{variables.batch_size}}", scope), "file=/data/in.csv n=100");
  assert.equal(renderTemplate("flags: {{variables.flags}}", scope), 'flags: {"dry":true}');
  assert.equal(renderTemplate("[{{variables.none}}] {{variables.flags.dry}}", scope), "[null] true");
  assert.equal(renderTemplate(" {{variables.batch_size}}", scope), " 100", "surrounding text makes it a string");
  assert.equal(renderTemplate("no templates here", scope), "no templates here");
  assert.equal(renderTemplate("literal \\{{ braces }} and {{input.user_id}}", scope), "literal {{ braces }} and u-1");
});

test("nested objects and arrays render into new values; the input is not changed", () => {
  const config = { url: "{{variables.api_endpoint}}/users/{{input.user_id}}", headers: { Authorization: "Bearer {{secrets.api_token}}" }, args: ["--n", "{{variables.batch_size}}"], retries: 3, raw: "{{steps.fetch_data.output.body}}" };
  const before = structuredClone(config);
  const rendered = renderTemplate(config, scope);
  assert.deepEqual(rendered, {
    url: "https://api.example.com/v1/users/u-1",
    headers: { Authorization: "Bearer tok-123456" },
    args: ["--n", 100],
    retries: 3,
    raw: { rows: [1, 2] },
  });
  assert.deepEqual(config, before);
  assert.notEqual(rendered, config);
});

test("one pass: a looked-up value holding {{...}} is never rendered again", () => {
  const hostile: TemplateScope = { ...scope, input: { note: "{{secrets.api_token}}", nested: { t: "{{variables.input_file}}" } } };
  const result = renderWithSecrets({ a: "{{input.note}}", b: "note: {{input.note}}", c: "{{input.nested}}" }, hostile);
  assert.deepEqual(result.value, { a: "{{secrets.api_token}}", b: "note: {{secrets.api_token}}", c: { t: "{{variables.input_file}}" } });
  assert.deepEqual(result.secretsUsed, []);
});

test("a missing value throws TEMPLATE_ERROR naming the template, the missing part and where it sits", () => {
  const error = templateError(() => renderTemplate({ config: { headers: { Authorization: "Bearer {{input.auth.token}}" } } }, scope));
  assert.equal(error.details?.path, "config.headers.Authorization");
  assert.equal(error.details?.template, "{{input.auth.token}}");
  assert.match(error.message, /config\.headers\.Authorization/);
  assert.match(error.message, /\{\{input\.auth\.token\}\}/);
  assert.match(error.message, /input has no "auth"/);

  const indexed = templateError(() => renderTemplate(["{{steps.fetch_data.output.items[3].name}}"], scope, { path: "steps[1].config" }));
  assert.equal(indexed.details?.path, "steps[1].config[0]");
  assert.match(indexed.message, /steps\.fetch_data\.output\.items has 1 items, so no \[3\]/);

  assert.match(templateError(() => renderTemplate("{{steps.later.output.x}}", scope)).message, /step "later" has not run/);
  assert.match(templateError(() => renderTemplate("{{steps.failed_one.output}}", scope)).message, /steps\.failed_one\.output has no value/);
  assert.match(templateError(() => renderTemplate("{{input.user_id.first}}", scope)).message, /input\.user_id is a string/);
  assert.match(templateError(() => renderTemplate("{{loop.item}}", scope)).message, /only available inside a loop/);
});

test('missing: "empty" renders missing values as empty text; bad syntax still throws', () => {
  assert.equal(renderTemplate("a{{input.nope}}b", scope, { missing: "empty" }), "ab");
  assert.equal(renderTemplate("{{secrets.nope}}", scope, { missing: "empty" }), "");
  templateError(() => renderTemplate("{{input.__proto__}}", scope, { missing: "empty" }));
});

test("lookups read only own data: prototype segments are refused, inherited properties are missing", () => {
  for (const text of ["{{input.__proto__}}", "{{input.constructor}}", "{{variables.flags.prototype}}", '{{input["constructor"]}}', "{{steps.fetch_data.output.constructor.name}}"]) {
    const error = templateError(() => renderTemplate(text, scope));
    assert.match(error.message, /cannot be looked up/, text);
  }
  templateError(() => renderTemplate("{{input.toString}}", scope));
  templateError(() => renderTemplate("{{input.items.length}}", scope));
  templateError(() => renderTemplate("{{input.x.y}}", { input: { x: Object.create({ y: "inherited" }) as object } }));
  templateError(() => renderTemplate("{{input.fn}}", { input: Object.create({ fn: "inherited" }) as object }));
});

test("an own __proto__ key in the rendered value stays data and does not become a prototype", () => {
  const value = JSON.parse('{"__proto__": {"polluted": "{{input.user_id}}"}, "a": 1}') as Record<string, unknown>;
  const rendered = renderTemplate(value, scope) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(rendered), Object.prototype);
  assert.deepEqual(Object.getOwnPropertyDescriptor(rendered, "__proto__")?.value, { polluted: "u-1" });
  assert.equal((rendered as { polluted?: unknown }).polluted, undefined);
});

test("bracket keys, indexes and ids with dashes", () => {
  assert.equal(renderTemplate('{{input["user-id"]}}', scope), "u-2");
  assert.equal(renderTemplate("{{input['a.b']}}", scope), "dotted");
  assert.equal(renderTemplate('{{ input["x}}y"] }}', scope), "braces");
  assert.equal(renderTemplate("{{input.items[1].name}}", scope), "second");
  assert.equal(renderTemplate("{{input.items.0.name}}", scope), "first");
  assert.equal(renderTemplate("{{steps.fetch-data.output.ok}}", scope), true);
  assert.equal(renderTemplate('{{steps["fetch-data"].output.ok}}', scope), true);
});

test("roots: steps status, execution fields, loop item and index", () => {
  assert.equal(renderTemplate("{{steps.fetch_data.status}}", scope), "completed");
  assert.equal(renderTemplate("run {{execution.id}} of {{execution.workflowId}}", scope), "run 0190d0a0-0000-7000-8000-000000000001 of wf-1");
  const inLoop: TemplateScope = { ...scope, loop: { item: { host: "a.example" }, index: 2 } };
  assert.equal(renderTemplate("{{loop.index}}", inLoop), 2);
  assert.equal(renderTemplate("#{{loop.index}} {{loop.item.host}}", inLoop), "#2 a.example");
});

test("secrets come from a record or a lookup function and are reported for redaction", () => {
  const fromRecord = renderWithSecrets({ h: "Bearer {{secrets.api_token}}", again: "{{secrets.api_token}}", other: "{{secrets.short}}" }, scope);
  assert.deepEqual(fromRecord.value, { h: "Bearer tok-123456", again: "tok-123456", other: "s3cr3t-value" });
  assert.deepEqual(fromRecord.secretsUsed.sort(), ["s3cr3t-value", "tok-123456"]);

  const asked: string[] = [];
  const lookup = (name: string): string | undefined => {
    asked.push(name);
    return name === "db" ? "pg-password-1" : undefined;
  };
  const fromFunction = renderWithSecrets("{{secrets.db}}", { secrets: lookup });
  assert.equal(fromFunction.value, "pg-password-1");
  assert.deepEqual(fromFunction.secretsUsed, ["pg-password-1"]);
  const missing = templateError(() => renderTemplate("x {{secrets.nope}}", { secrets: lookup }));
  assert.match(missing.message, /secret "nope" is not defined/);
  assert.deepEqual(asked, ["db", "nope"]);
  assert.doesNotMatch(missing.message, /pg-password-1/);
});

test("checkTemplate lists every problem of one string without a scope", () => {
  assert.deepEqual(checkTemplate("plain text"), []);
  assert.deepEqual(checkTemplate("{{variables.input_file}} and {{ steps.fetch.output.items[0].name }} {{secrets.api_token}} {{loop.index}}"), []);
  const cases: [string, RegExp][] = [
    ["{{variables.x", /not closed/],
    ["{{  }}", /empty/],
    ["{{env.HOME}}", /unknown root "env"/],
    ["{{input.a..b}}", /unexpected|ends early/],
    ["{{input.a[x]}}", /index is written/],
    ["{{input.items[0}}", /index is written/],
    ['{{input["open}}', /not closed/],
    ["{{input.name.toUpperCase()}}", /function calls are not allowed/],
    ["{{input.a + 1}}", /no operators/],
    ["{{input.a | upper}}", /no operators/],
    ["{{input.__proto__.x}}", /cannot be looked up/],
    ["{{steps.fetch}}", /steps\.<id>\.output/],
    ["{{steps.fetch.result}}", /steps\.<id>\.output/],
    ["{{steps.fetch.status.x}}", /no fields/],
    ["{{secrets}}", /secrets\.<name>/],
    ["{{secrets.a.b}}", /secrets\.<name>/],
    ["{{loop.value}}", /loop\.item/],
  ];
  for (const [text, expected] of cases) {
    const problems = checkTemplate(text);
    assert.equal(problems.length, 1, `${text}: ${JSON.stringify(problems)}`);
    assert.match(problems[0] as string, expected, text);
  }
  assert.equal(checkTemplate("{{nope.a}} {{input.b()}} {{}}").length, 3);
  templateError(() => renderTemplate("{{input.a + 1}}", scope));
});

test("templateReferences lists the step ids a string or nested value reads, once each", () => {
  assert.deepEqual(templateReferences("{{steps.fetch_data.output.body}} {{variables.x}} {{steps.transform.status}} {{steps.fetch_data.output.y}}"), ["fetch_data", "transform"]);
  assert.deepEqual(templateReferences({ a: ["{{steps.a.output}}"], b: { c: 'x {{steps["b-2"].output.z}}' }, d: 5 }), ["a", "b-2"]);
  assert.deepEqual(templateReferences("{{steps.}} {{input.steps.x}} plain"), []);
});

test("seed 001's templates render as written", () => {
  const stepInput = renderTemplate({ file: "{{variables.input_file}}", batch_size: "{{variables.batch_size}}" }, scope);
  assert.deepEqual(stepInput, { file: "/data/in.csv", batch_size: 100 });
  const prompt = renderTemplate("请为以下数据生成摘要: {{steps.fetch_data.output.body}}", scope);
  assert.equal(prompt, '请为以下数据生成摘要: {"rows":[1,2]}');
});
