// How templates are written: `{{ root.path[0]["odd key"] }}` inside any string. Parsing, the
// scope-free checks the validator reports, and the step ids a template refers to; rendering is templates.ts.

/** The names a template may start with. Anything else is a problem, never a lookup. */
export const TEMPLATE_ROOTS = ["variables", "input", "steps", "secrets", "execution", "loop"] as const;
export type TemplateRoot = (typeof TEMPLATE_ROOTS)[number];

/** Path segments that could reach prototypes; refused even where an object has them as own keys. */
export const FORBIDDEN_SEGMENTS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** A string key (`.name`, `["name"]`) or an array index (`[0]`). */
export type TemplateSegment = string | number;

export interface TemplateReference {
  /** The template as written, braces included: `{{ steps.fetch.output.body }}`. */
  text: string;
  root: TemplateRoot;
  /** Segments after the root: `["fetch", "output", "body"]`. */
  segments: TemplateSegment[];
}

/** Literal text and references, in order. `\{{` in the source is the literal text `{{`. */
export type TemplatePart = string | TemplateReference;

export interface ParsedTemplate {
  parts: TemplatePart[];
  /** Every problem of the string, each naming its template. Empty when the string is usable. */
  problems: string[];
}

const ROOTS: ReadonlySet<string> = new Set(TEMPLATE_ROOTS);
const DOT_SEGMENT = /[A-Za-z0-9_-]/;
const ROOT_START = /[A-Za-z_]/;
const ROOT_CHAR = /[A-Za-z0-9_]/;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** True when the string holds `{{` at all: the fast path of rendering and checking. */
export function mayHoldTemplate(text: string): boolean {
  return text.includes("{{");
}

export function parseTemplate(text: string): ParsedTemplate {
  const parts: TemplatePart[] = [];
  const problems: string[] = [];
  let literal = "";
  let i = 0;
  while (i < text.length) {
    const open = text.indexOf("{{", i);
    if (open === -1) {
      literal += text.slice(i);
      break;
    }
    if (open > 0 && text[open - 1] === "\\") {
      literal += `${text.slice(i, open - 1)}{{`;
      i = open + 2;
      continue;
    }
    literal += text.slice(i, open);
    const close = findClose(text, open + 2);
    if (close === -1) {
      problems.push(`${JSON.stringify(text.slice(open, open + 40))}: "{{" is not closed by "}}" (write \\{{ for a literal "{{")`);
      literal += text.slice(open);
      break;
    }
    const written = text.slice(open, close + 2);
    const result = parseReference(written, text.slice(open + 2, close));
    if (typeof result === "string") problems.push(`${written}: ${result}`);
    else {
      if (literal !== "") parts.push(literal);
      literal = "";
      parts.push(result);
    }
    i = close + 2;
  }
  if (literal !== "") parts.push(literal);
  return { parts, problems };
}

/** Problems of one string (unclosed braces, empty or malformed paths, unknown roots, forbidden segments). */
export function checkTemplate(text: string): string[] {
  return mayHoldTemplate(text) ? parseTemplate(text).problems : [];
}

/**
 * Step ids referenced as `steps.<id>` in a string or anywhere inside a nested value, each once, in
 * order of appearance. Malformed templates are skipped (checkTemplate reports them).
 */
export function templateReferences(value: unknown): string[] {
  const ids = new Set<string>();
  visitStrings(value, (text) => {
    if (!mayHoldTemplate(text)) return;
    for (const part of parseTemplate(text).parts) {
      if (typeof part !== "string" && part.root === "steps" && typeof part.segments[0] === "string") ids.add(part.segments[0]);
    }
  });
  return [...ids];
}

/** `root.a[0]["b c"]`: how a path is shown in messages, in template syntax. */
export function formatTemplatePath(root: string, segments: readonly TemplateSegment[]): string {
  let out = root;
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) out += `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** The `}}` that closes a template opened before `from`, skipping quoted keys; -1 if none. */
function findClose(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"' || ch === "'") {
      i = skipQuoted(text, i);
      continue;
    }
    if (ch === "}" && text[i + 1] === "}") return i;
    i++;
  }
  return -1;
}

/** Index just past the quoted string starting at `start` (or the text's end if it is unterminated). */
function skipQuoted(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote) i += text[i] === "\\" ? 2 : 1;
  return Math.min(i + 1, text.length);
}

/** A reference, or the problem with it. `inner` is the text between the braces. */
function parseReference(written: string, inner: string): TemplateReference | string {
  const source = inner.trim();
  if (source === "") return "the template is empty; write a path such as variables.name";
  let i = 0;
  while (i < source.length && ROOT_CHAR.test(source[i] as string)) i++;
  const root = source.slice(0, i);
  if (root === "" || !ROOT_START.test(root[0] as string)) return unexpected(source, 0);
  if (!ROOTS.has(root)) return `unknown root ${JSON.stringify(root)}; a template starts with ${TEMPLATE_ROOTS.join(", ")}`;
  const segments: TemplateSegment[] = [];
  while (i < source.length) {
    const ch = source[i];
    if (ch === ".") {
      let end = i + 1;
      while (end < source.length && DOT_SEGMENT.test(source[end] as string)) end++;
      if (end === i + 1) return unexpected(source, i + 1);
      segments.push(source.slice(i + 1, end));
      i = end;
    } else if (ch === "[") {
      const parsed = parseBracket(source, i);
      if (typeof parsed === "string") return parsed;
      segments.push(parsed.segment);
      i = parsed.end;
    } else {
      return unexpected(source, i);
    }
  }
  for (const segment of segments) {
    if (typeof segment === "string" && FORBIDDEN_SEGMENTS.has(segment)) {
      return `${JSON.stringify(segment)} cannot be looked up (templates read only a value's own data)`;
    }
  }
  const shape = shapeProblem(root as TemplateRoot, segments);
  if (shape !== undefined) return shape;
  return { text: written, root: root as TemplateRoot, segments };
}

/** `[0]`, `["key"]` or `['key']` starting at `start`; backslash escapes the quote or a backslash. */
function parseBracket(source: string, start: number): { segment: TemplateSegment; end: number } | string {
  const first = source[start + 1];
  if (first === '"' || first === "'") {
    let key = "";
    let i = start + 2;
    while (i < source.length && source[i] !== first) {
      if (source[i] === "\\" && i + 1 < source.length) i++;
      key += source[i];
      i++;
    }
    if (i >= source.length) return `the quoted key at column ${start + 2} is not closed`;
    if (source[i + 1] !== "]") return unexpected(source, i + 1);
    return { segment: key, end: i + 2 };
  }
  let i = start + 1;
  while (i < source.length && source[i] !== undefined && /[0-9]/.test(source[i] as string)) i++;
  if (i === start + 1 || source[i] !== "]") return `an index is written [0], [1], ...; a key with odd characters ["like-this"] (at column ${start + 1})`;
  const index = Number(source.slice(start + 1, i));
  if (!Number.isSafeInteger(index)) return `the index at column ${start + 1} is too large`;
  return { segment: index, end: i + 1 };
}

/** What the roots with a fixed shape require: a step's output or status, one secret, the loop's item or index. */
function shapeProblem(root: TemplateRoot, segments: readonly TemplateSegment[]): string | undefined {
  const [first, second] = segments;
  switch (root) {
    case "steps":
      if (typeof first !== "string" || (second !== "output" && second !== "status")) {
        return "a step is read as steps.<id>.output[.path] or steps.<id>.status";
      }
      if (second === "status" && segments.length > 2) return "steps.<id>.status is a string and has no fields";
      return undefined;
    case "secrets":
      if (segments.length !== 1 || typeof first !== "string") return "a secret is read as secrets.<name>";
      return undefined;
    case "loop":
      if (first !== "item" && first !== "index") return "inside a loop, read loop.item[.path] or loop.index";
      if (first === "index" && segments.length > 1) return "loop.index is a number and has no fields";
      return undefined;
    default:
      return undefined;
  }
}

function unexpected(source: string, at: number): string {
  const ch = source[at];
  if (ch === undefined) return `the path ends early after ${JSON.stringify(source)}`;
  if (ch === "(") return "templates only look values up; function calls are not allowed (use a CEL `when` expression for logic)";
  if (/[+*/%<>=!&|?:,]/.test(ch) || /\s/.test(ch)) {
    return `templates only look values up; ${JSON.stringify(source.slice(at).trim().slice(0, 20))} is not part of a path (no operators or filters)`;
  }
  return `unexpected ${JSON.stringify(ch)} at column ${at + 1} of ${JSON.stringify(source)}`;
}

/** Calls `visit` with every string inside a value (own enumerable keys of plain objects, array items). */
export function visitStrings(value: unknown, visit: (text: string) => void, depth = 0): void {
  if (typeof value === "string") visit(value);
  else if (depth > 100) return;
  else if (Array.isArray(value)) for (const item of value) visitStrings(item, visit, depth + 1);
  else if (isPlainObject(value)) for (const key of Object.keys(value)) visitStrings(value[key], visit, depth + 1);
}

/** Objects as JSON and YAML produce them: `{}` or `Object.create(null)`, never class instances. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
