// CEL expressions for `when`, decision conditions and loop `while` (@marcbachmann/cel-js): compiled
// once into a bounded cache, refused past size and cost limits, evaluated over a prototype-free context.
import { Environment, type ParseResult } from "@marcbachmann/cel-js";
import { SynergyMeshError } from "../core/errors.js";
import { isPlainObject } from "./template-syntax.js";

export { EXPRESSION_ROOTS, buildExpressionContext, type ExpressionContextParts, type ExpressionStepState } from "./expression-context.js";

export const EXPRESSION_LIMITS = Object.freeze({
  /** Characters of source. */
  maxSourceLength: 4096,
  /** Nesting of parentheses, calls, field selections and indexes (the parser's own limit). */
  maxDepth: 32,
  maxAstNodes: 1000,
  /**
   * Comprehensions (`all`, `exists`, `exists_one`, `map`, `filter`) and `cel.bind` nested in one
   * another. Each level multiplies the work by a list's size (and binds can double a value per level),
   * so deeper nesting is refused at compile time.
   */
  maxComprehensionNesting: 2,
  /** Compiled expressions kept, least recently used evicted first. */
  cacheSize: 1000,
});

export interface ExpressionOptions {
  /** Where the expression is written, for error details: `steps[3].when`. */
  path?: string;
}

export interface CompiledExpression {
  readonly source: string;
  /** The value, with CEL ints as JS numbers and maps as plain objects. */
  evaluate(context: Record<string, unknown>, options?: ExpressionOptions): unknown;
  /** The value, which must be a bool. */
  test(context: Record<string, unknown>, options?: ExpressionOptions): boolean;
}

/**
 * One environment for every tenant: it holds no state after construction (nothing is registered
 * later), only CEL's standard functions. Variables are dynamic; mixed list literals are allowed.
 */
const environment = new Environment({
  unlistedVariablesAreDyn: true,
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: EXPRESSION_LIMITS.maxAstNodes, maxDepth: EXPRESSION_LIMITS.maxDepth },
});

/** `loop` is a reserved word in CEL; expressions may still write `loop.index`, read under this name. */
const LOOP_ALIAS = "_lp_";
const COMPREHENSIONS: ReadonlySet<string> = new Set(["all", "exists", "exists_one", "map", "filter"]);

/** A memo of a pure function (source -> compiled program), so sharing it between orchestrators is safe. */
const cache = new Map<string, CompiledExpression>();

export function compileExpression(source: string, options: ExpressionOptions = {}): CompiledExpression {
  const cached = cache.get(source);
  if (cached !== undefined) {
    cache.delete(source);
    cache.set(source, cached);
    return cached;
  }
  const compiled = compile(source, options);
  if (cache.size >= EXPRESSION_LIMITS.cacheSize) cache.delete(cache.keys().next().value as string);
  cache.set(source, compiled);
  return compiled;
}

export function evaluateExpression(source: string, context: Record<string, unknown>, options: ExpressionOptions = {}): unknown {
  return compileExpression(source, options).evaluate(context, options);
}

/** For `when`, decisions and `while`: the result must be a bool; anything else is an EXPRESSION_ERROR. */
export function evaluateCondition(source: string, context: Record<string, unknown>, options: ExpressionOptions = {}): boolean {
  return compileExpression(source, options).test(context, options);
}

/** The problem with an expression (syntax, types of literals, limits), or undefined; evaluates nothing. */
export function checkExpression(source: string): string | undefined {
  try {
    compileExpression(source);
    return undefined;
  } catch (error) {
    if (error instanceof SynergyMeshError) return error.message;
    throw error;
  }
}

class Compiled implements CompiledExpression {
  constructor(
    readonly source: string,
    private readonly program: ParseResult,
    private readonly usesLoop: boolean,
  ) {}

  evaluate(context: Record<string, unknown>, options: ExpressionOptions = {}): unknown {
    return toPlain(this.run(context, options), this.source, options);
  }

  test(context: Record<string, unknown>, options: ExpressionOptions = {}): boolean {
    const value = this.run(context, options);
    if (typeof value === "boolean") return value;
    throw expressionError(this.source, options, `must be true or false, but gave ${celTypeName(value)}`);
  }

  private run(context: Record<string, unknown>, options: ExpressionOptions): unknown {
    // The evaluator reads root names through the prototype chain (`toString` would resolve), so
    // roots are copied onto an object without one.
    const scope = Object.assign(Object.create(null) as Record<string, unknown>, context);
    if (this.usesLoop && Object.hasOwn(context, "loop")) scope[LOOP_ALIAS] = context.loop;
    try {
      return this.program(scope) as unknown;
    } catch (error) {
      throw celError(this.source, options, "failed", error);
    }
  }
}

function compile(source: string, options: ExpressionOptions): CompiledExpression {
  if (typeof source !== "string") throw expressionError(String(source), options, "must be a string");
  if (source.length > EXPRESSION_LIMITS.maxSourceLength) {
    throw expressionError(source, options, `is ${source.length} characters long; the limit is ${EXPRESSION_LIMITS.maxSourceLength}`);
  }
  if (source.trim() === "") throw expressionError(source, options, "is empty");
  const { text, renamed } = renameLoopRoot(source);
  let program: ParseResult;
  try {
    program = environment.parse(text);
  } catch (error) {
    throw celError(source, options, "does not compile", error);
  }
  const problem = costProblem(program.ast, 0);
  if (problem !== undefined) throw expressionError(source, options, problem);
  const checked = program.check();
  if (!checked.valid) throw celError(source, options, "does not type-check", checked.error);
  return new Compiled(source, program, renamed);
}

/**
 * Refuses what the parser's limits let through but could run unbounded: regular expressions
 * (`matches` uses JavaScript's backtracking engine, exponential on some patterns) and comprehensions
 * nested past the limit.
 */
function costProblem(node: unknown, nesting: number): string | undefined {
  if (Array.isArray(node)) {
    for (const item of node) {
      const problem = costProblem(item, nesting);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  if (!isAstNode(node)) return undefined;
  const args = node.args;
  if ((node.op === "rcall" || node.op === "call") && Array.isArray(args) && args[0] === "matches") {
    return "cannot use matches(): regular expressions can run for unbounded time; use contains(), startsWith() or endsWith()";
  }
  if (node.op === "rcall" && Array.isArray(args)) {
    const [name, receiver, callArgs] = args as [string, unknown, unknown];
    const isBind = name === "bind" && isAstNode(receiver) && receiver.op === "id" && receiver.args === "cel";
    if (COMPREHENSIONS.has(name) || isBind) {
      if (nesting + 1 > EXPRESSION_LIMITS.maxComprehensionNesting) {
        return `nests comprehensions (all, exists, exists_one, map, filter, cel.bind) more than ${EXPRESSION_LIMITS.maxComprehensionNesting} deep`;
      }
      return costProblem(receiver, nesting) ?? costProblem(callArgs, nesting + 1);
    }
  }
  return costProblem(args, nesting);
}

function isAstNode(value: unknown): value is { op: string; args: unknown } {
  return value !== null && typeof value === "object" && typeof (value as { op?: unknown }).op === "string" && "args" in value;
}

/**
 * Renames the root identifier `loop` (reserved in CEL) to a same-length alias, so column numbers in
 * errors stay right. Strings, comments and field names after a `.` (`x.loop`) are left alone; the
 * scan follows the library's lexer (quotes with backslash escapes, triple quotes, b/r prefixes, `//`).
 */
export function renameLoopRoot(source: string): { text: string; renamed: boolean } {
  if (!source.includes("loop")) return { text: source, renamed: false };
  let out = "";
  let copied = 0;
  let previous = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i] as string;
    if (ch === '"' || ch === "'") {
      i = skipString(source, i);
      previous = '"';
    } else if (ch === "/" && source[i + 1] === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (/[A-Za-z0-9_]/.test(ch)) {
      if (/[bBrR]/.test(ch) && (source[i + 1] === '"' || source[i + 1] === "'")) {
        i = skipString(source, i + 1);
        previous = '"';
        continue;
      }
      let end = i;
      while (end < source.length && /[A-Za-z0-9_]/.test(source[end] as string)) end++;
      if (previous !== "." && source.slice(i, end) === "loop") {
        out += source.slice(copied, i) + LOOP_ALIAS;
        copied = end;
      }
      previous = "w";
      i = end;
    } else {
      if (!/\s/.test(ch)) previous = ch;
      i++;
    }
  }
  return copied === 0 ? { text: source, renamed: false } : { text: out + source.slice(copied), renamed: true };
}

function skipString(source: string, start: number): number {
  const quote = source[start] as string;
  const triple = source[start + 1] === quote && source[start + 2] === quote;
  let i = start + (triple ? 3 : 1);
  while (i < source.length) {
    if (source[i] === "\\") i += 2;
    else if (triple ? source.startsWith(quote.repeat(3), i) : source[i] === quote) return i + (triple ? 3 : 1);
    else i++;
  }
  return source.length;
}

/** Results in JSON terms: CEL ints and uints become numbers (exact up to 2^53), maps plain objects. */
function toPlain(value: unknown, source: string, options: ExpressionOptions, depth = 0): unknown {
  if (typeof value === "bigint" || isUnsignedInt(value)) {
    const big = typeof value === "bigint" ? value : (value as { value: bigint }).value;
    if (big > BigInt(Number.MAX_SAFE_INTEGER) || big < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw expressionError(source, options, `gave the integer ${big}, beyond what a JSON number holds exactly`);
    }
    return Number(big);
  }
  if (depth > 100 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((item) => toPlain(item, source, options, depth + 1));
  if (value instanceof Map || isPlainObject(value)) {
    const out: Record<string, unknown> = {};
    const entries: Iterable<[unknown, unknown]> = value instanceof Map ? value.entries() : Object.entries(value);
    for (const [key, item] of entries) {
      Object.defineProperty(out, String(key), { value: toPlain(item, source, options, depth + 1), enumerable: true, writable: true, configurable: true });
    }
    return out;
  }
  return value;
}

/** The library's unsigned integer (`1u`) is a class it does not export; recognised by its shape. */
function isUnsignedInt(value: unknown): boolean {
  return value !== null && typeof value === "object" && value.constructor?.name === "UnsignedInt" && typeof (value as { value?: unknown }).value === "bigint";
}

/** CEL's name for a value's type, for messages. */
export function celTypeName(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "bigint") return "an int";
  if (typeof value === "number") return "a double";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a bool";
  if (Array.isArray(value)) return "a list";
  if (value instanceof Uint8Array) return "bytes";
  if (value instanceof Date) return "a timestamp";
  if (isUnsignedInt(value)) return "a uint";
  if (value instanceof Map || isPlainObject(value)) return "a map";
  return `a ${(value as object).constructor?.name ?? "value"}`;
}

interface CelErrorShape {
  summary?: unknown;
  message?: unknown;
  code?: unknown;
  range?: { start?: unknown };
}

function celError(source: string, options: ExpressionOptions, phase: string, error: unknown): SynergyMeshError {
  const shape = (error ?? {}) as CelErrorShape;
  const summary = String(shape.summary ?? shape.message ?? error).split(LOOP_ALIAS).join("loop");
  const start = shape.range?.start;
  const column = typeof start === "number" ? ` (at column ${start + 1})` : "";
  const code = typeof shape.code === "string" ? shape.code : undefined;
  return expressionError(source, options, `${phase}: ${summary}${column}`, code, error);
}

function expressionError(source: string, options: ExpressionOptions, problem: string, celCode?: string, cause?: unknown): SynergyMeshError {
  const shown = source.length > 120 ? `${source.slice(0, 117)}...` : source;
  const details: Record<string, unknown> = { expression: source };
  if (options.path !== undefined) details.path = options.path;
  if (celCode !== undefined) details.celCode = celCode;
  const where = options.path !== undefined ? `${options.path}: ` : "";
  return new SynergyMeshError("EXPRESSION_ERROR", `${where}expression ${JSON.stringify(shown)} ${problem}`, details, cause === undefined ? undefined : { cause });
}
