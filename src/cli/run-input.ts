// The execution input of `synergymesh run`: `--input-json '{...}'` first, then each
// `--input key=value` on top. A value is JSON when it parses as JSON (`n=5`, `ok=true`,
// `tags=["a"]`), else the string as written; a dotted key (`a.b=1`) builds nested objects.
import { UsageError } from "./cli-io.js";

export type ExecutionInput = Record<string, unknown>;

export function buildExecutionInput(pairs: readonly string[], json?: string): ExecutionInput {
  const input = json === undefined ? {} : parseInputJson(json);
  for (const pair of pairs) setInputPair(input, pair);
  return input;
}

export function parseInputJson(text: string): ExecutionInput {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--input-json is not valid JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new UsageError("--input-json must be a JSON object ({...})");
  return value;
}

/** `value` as JSON when it parses, else the string itself (`name=ada` is "ada", `n=007` is "007"). */
export function parseInputValue(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

export function setInputPair(input: ExecutionInput, pair: string): void {
  const eq = pair.indexOf("=");
  if (eq <= 0) throw new UsageError(`--input ${JSON.stringify(pair)}: write key=value (a key, then =, then the value)`);
  const key = pair.slice(0, eq);
  const keys = key.split(".");
  if (keys.some((k) => k === "")) throw new UsageError(`--input ${JSON.stringify(pair)}: the key ${JSON.stringify(key)} has an empty part`);
  let target: ExecutionInput = input;
  for (const [index, part] of keys.slice(0, -1).entries()) {
    const next = Object.hasOwn(target, part) ? target[part] : undefined;
    if (next === undefined) {
      const child: ExecutionInput = {};
      define(target, part, child);
      target = child;
    } else if (isObject(next)) {
      target = next;
    } else {
      throw new UsageError(`--input ${JSON.stringify(pair)}: ${keys.slice(0, index + 1).join(".")} is already set to a value that is not an object`);
    }
  }
  define(target, keys[keys.length - 1] as string, parseInputValue(pair.slice(eq + 1)));
}

// defineProperty makes an own property even for `__proto__`, so no key can reach a prototype.
function define(target: ExecutionInput, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function isObject(value: unknown): value is ExecutionInput {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
