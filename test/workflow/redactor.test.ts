import assert from "node:assert/strict";
import { test } from "node:test";
import { SynergyMeshError, TimeoutError } from "../../src/core/errors.js";
import { REDACTED, Redactor, isSecretKey } from "../../src/workflow/redactor.js";
import { renderWithSecrets } from "../../src/workflow/templates.js";

test("every occurrence of every secret is redacted, the longest first", () => {
  const redactor = new Redactor(["hunter22", "hunter22-extended"]);
  assert.equal(redactor.redact("a hunter22 b hunter22"), `a ${REDACTED} b ${REDACTED}`);
  assert.equal(redactor.redact("key=hunter22-extended"), `key=${REDACTED}`, "not [REDACTED]-extended");
  assert.equal(redactor.redact("nothing secret"), "nothing secret");
  assert.equal(new Redactor(["a.b*c"]).redact("x a.b*c y aXbbc"), `x ${REDACTED} y aXbbc`, "secrets are matched literally, not as patterns");
});

test("values shorter than 4 characters are ignored; an empty redactor passes strings through", () => {
  const redactor = new Redactor().add("a").add("abc").add("");
  assert.equal(redactor.size, 0);
  const text = "a cab abc";
  assert.equal(redactor.redact(text), text);
  redactor.add("abcd");
  assert.equal(redactor.redact("xabcdx abc"), `x${REDACTED}x abc`);
});

test("JSON-escaped and URL-encoded forms of a secret are redacted too", () => {
  const redactor = new Redactor(['pa"ss word/1']);
  assert.equal(redactor.redact(JSON.stringify({ p: 'pa"ss word/1' })), `{"p":"${REDACTED}"}`);
  assert.equal(redactor.redact(`https://x.example/?p=${encodeURIComponent('pa"ss word/1')}`), `https://x.example/?p=${REDACTED}`);
});

test("nested objects and arrays are redacted into copies; secret-looking keys are redacted whatever their value", () => {
  const redactor = new Redactor(["tok-123456"]);
  const value = {
    url: "https://api.example.com/?t=tok-123456",
    headers: { Authorization: "Bearer something-unknown", "X-Api-Key": "k-999", accept: "json" },
    list: ["tok-123456", 5, null, { nested: "x tok-123456" }],
    db: { password: 12345, passwordHint: "ask ops" },
    usage: { input_tokens: 812, output_tokens: 99, token_count: 3 },
    empty: { token: "" },
  };
  const before = structuredClone(value);
  assert.deepEqual(redactor.redactValue(value), {
    url: `https://api.example.com/?t=${REDACTED}`,
    headers: { Authorization: REDACTED, "X-Api-Key": REDACTED, accept: "json" },
    list: [REDACTED, 5, null, { nested: `x ${REDACTED}` }],
    db: { password: REDACTED, passwordHint: "ask ops" },
    usage: { input_tokens: 812, output_tokens: 99, token_count: 3 },
    empty: { token: "" },
  });
  assert.deepEqual(value, before, "the input is not changed");
  const clean = { a: ["b", { c: 1 }] };
  assert.equal(redactor.redactValue(clean), clean, "nothing to redact: the same reference");
  assert.equal(new Redactor().redactValue({ apiKey: "visible?" }).apiKey, REDACTED, "keys are redacted even with no known values");
});

test("secret-looking keys", () => {
  for (const key of ["password", "db_password", "token", "access_token", "refreshToken", "secret", "clientSecret", "api_key", "apiKey", "x-api-key", "Authorization", "masterKey", "private_key"]) {
    assert.equal(isSecretKey(key), true, key);
  }
  for (const key of ["input_tokens", "token_count", "secret_name", "keys", "author", "passwordHint", "monkey"]) {
    assert.equal(isSecretKey(key), false, key);
  }
});

test("errors: message, stack, details and cause are redacted in a copy of the same class", () => {
  const redactor = new Redactor(["s3cr3t-value"]);
  const cause = new Error("inner s3cr3t-value");
  const error = new SynergyMeshError("TASK_FAILED", "call to https://x/?k=s3cr3t-value failed", { url: "https://x/?k=s3cr3t-value", attempt: 2 }, { cause });
  const redacted = redactor.redactError(error);
  assert.notEqual(redacted, error);
  assert.ok(redacted instanceof SynergyMeshError);
  assert.equal(redacted.code, "TASK_FAILED");
  assert.equal(redacted.status, 500);
  assert.equal(redacted.message, `call to https://x/?k=${REDACTED} failed`);
  assert.deepEqual(redacted.details, { url: `https://x/?k=${REDACTED}`, attempt: 2 });
  assert.equal((redacted.cause as Error).message, `inner ${REDACTED}`);
  assert.doesNotMatch(redacted.stack ?? "", /s3cr3t-value/);
  assert.doesNotMatch(JSON.stringify(redacted.toJSON()), /s3cr3t-value/);
  assert.equal(error.message, "call to https://x/?k=s3cr3t-value failed", "the original is not changed");

  const harmless = new TimeoutError("step fetch", 30_000);
  assert.equal(redactor.redactError(harmless), harmless);
  const inValue = redactor.redactValue({ error: new Error("boom s3cr3t-value") });
  assert.equal(inValue.error.message, `boom ${REDACTED}`);
});

test("rendered secrets feed the redactor", () => {
  const { value, secretsUsed } = renderWithSecrets({ header: "Bearer {{secrets.api_token}}" }, { secrets: { api_token: "tok-abcdef" } });
  const log = `sending ${JSON.stringify(value)}`;
  assert.match(log, /tok-abcdef/);
  assert.equal(new Redactor(secretsUsed).redact(log), `sending {"header":"Bearer ${REDACTED}"}`);
});
