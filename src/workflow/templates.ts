// Rendering `{{ ... }}` templates inside step configs and mappings: lookups only, one pass, typed
// when a string is exactly one template; reports the secret values used so callers can redact them.
import { SynergyMeshError } from "../core/errors.js";
import {
  FORBIDDEN_SEGMENTS,
  type TemplatePart,
  type TemplateReference,
  type TemplateSegment,
  formatTemplatePath,
  isPlainObject,
  mayHoldTemplate,
  parseTemplate,
} from "./template-syntax.js";

export { TEMPLATE_ROOTS, checkTemplate, templateReferences } from "./template-syntax.js";

/** Looks a secret up by name; `undefined` when the tenant has none by that name. */
export type SecretLookup = (name: string) => string | undefined;

/** What templates can read. A root left undefined is "not available here" (e.g. `loop` outside a loop). */
export interface TemplateScope {
  variables?: Record<string, unknown>;
  input?: unknown;
  /** Step id -> its state; `status` is the step execution status (SPEC D), `output` what it exposes. */
  steps?: Record<string, { status?: string; output?: unknown }>;
  secrets?: Readonly<Record<string, string>> | SecretLookup;
  /** `execution.id` and whatever else the engine exposes (`workflowId`, `tenantId`, `startedAt`, ...). */
  execution?: Record<string, unknown>;
  loop?: { item: unknown; index: number };
}

export interface RenderOptions {
  /** Where the value sits, for error messages: `steps[2].config`. Default: none. */
  path?: string;
  /** A missing value throws TEMPLATE_ERROR (`"error"`, the default) or renders as `""` (`"empty"`). */
  missing?: "error" | "empty";
}

export interface RenderResult<T = unknown> {
  value: T;
  /** Secret values that went into `value`, each once: give them to a Redactor. */
  secretsUsed: string[];
}

/** Deeper nesting than this is refused rather than risking the stack on a hostile definition. */
const MAX_DEPTH = 100;
const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Renders every string inside `value`; returns a new value and never mutates the input. */
export function renderTemplate(value: unknown, scope: TemplateScope, options: RenderOptions = {}): unknown {
  return renderWithSecrets(value, scope, options).value;
}

export function renderWithSecrets(value: unknown, scope: TemplateScope, options: RenderOptions = {}): RenderResult {
  const renderer = new Renderer(scope, options.missing ?? "error");
  return { value: renderer.render(value, options.path ?? "", 0), secretsUsed: [...renderer.secretsUsed] };
}

/** A missing value, carried up to where the template and its place are known. */
class MissingValue {
  constructor(readonly what: string) {}
}

class Renderer {
  readonly secretsUsed = new Set<string>();

  constructor(
    private readonly scope: TemplateScope,
    private readonly missing: "error" | "empty",
  ) {}

  render(value: unknown, path: string, depth: number): unknown {
    if (typeof value === "string") return mayHoldTemplate(value) ? this.renderString(value, path) : value;
    if (depth >= MAX_DEPTH) throw new SynergyMeshError("TEMPLATE_ERROR", `${path || "The value"} is nested deeper than ${MAX_DEPTH} levels`, { path });
    if (Array.isArray(value)) return value.map((item, index) => this.render(item, `${path}[${index}]`, depth + 1));
    if (isPlainObject(value)) {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        const rendered = this.render(value[key], joinPath(path, key), depth + 1);
        // defineProperty, so an own `__proto__` key (JSON.parse makes them) stays data, not a prototype.
        Object.defineProperty(out, key, { value: rendered, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    return value;
  }

  private renderString(text: string, path: string): unknown {
    const { parts, problems } = parseTemplate(text);
    if (problems.length > 0) {
      throw new SynergyMeshError("TEMPLATE_ERROR", `${where(path)}${problems.join("; ")}`, { path, template: text, problems });
    }
    const only = parts[0];
    if (parts.length === 1 && typeof only !== "string" && only !== undefined) {
      const found = this.resolve(only, path, text);
      return found instanceof MissingValue ? "" : found;
    }
    let out = "";
    for (const part of parts) {
      if (typeof part === "string") out += part;
      else {
        const found = this.resolve(part, path, text);
        out += found instanceof MissingValue ? "" : stringify(found, part, path);
      }
    }
    return out;
  }

  /** The referenced value, or MissingValue under `missing: "empty"`; throws otherwise. */
  private resolve(ref: TemplateReference, path: string, text: string): unknown {
    const found = this.lookup(ref);
    if (!(found instanceof MissingValue)) return found;
    if (this.missing === "empty") return found;
    throw new SynergyMeshError("TEMPLATE_ERROR", `${where(path)}${ref.text} cannot be rendered: ${found.what}`, {
      path,
      template: ref.text,
      ...(text !== ref.text ? { text } : {}),
      missing: found.what,
    });
  }

  private lookup(ref: TemplateReference): unknown {
    const { scope } = this;
    const segments = ref.segments;
    switch (ref.root) {
      case "secrets":
        return this.secret(segments[0] as string);
      case "steps": {
        const id = segments[0] as string;
        const steps = scope.steps;
        const step = steps !== undefined && Object.hasOwn(steps, id) ? steps[id] : undefined;
        if (step === undefined) return new MissingValue(`step ${JSON.stringify(id)} has not run (no steps.${id} in this execution yet)`);
        const field = segments[1] as "output" | "status";
        return walk(step[field], "steps", segments, 2);
      }
      case "loop":
        if (scope.loop === undefined) return new MissingValue("loop is only available inside a loop step");
        return walk(scope.loop[segments[0] as "item" | "index"], "loop", segments, 1);
      default: {
        const base = scope[ref.root];
        if (base === undefined) return new MissingValue(`${ref.root} is not available here`);
        return walk(base, ref.root, segments, 0);
      }
    }
  }

  private secret(name: string): unknown {
    const secrets = this.scope.secrets;
    let value: unknown;
    if (typeof secrets === "function") value = secrets(name);
    else if (secrets !== undefined && Object.hasOwn(secrets, name)) value = secrets[name];
    if (value === undefined) return new MissingValue(`secret ${JSON.stringify(name)} is not defined for this tenant`);
    if (typeof value !== "string") return new MissingValue(`secret ${JSON.stringify(name)} is not a string`);
    this.secretsUsed.add(value);
    return value;
  }
}

/**
 * Follows `segments[from..]` from `start`, reading only own data of plain objects and arrays.
 * `undefined` anywhere is missing; `null` at the end is a value.
 */
function walk(start: unknown, root: string, segments: readonly TemplateSegment[], from: number): unknown {
  let current = start;
  for (let i = from; i < segments.length; i++) {
    const segment = segments[i] as TemplateSegment;
    const at = (): string => formatTemplatePath(root, segments.slice(0, i));
    if (typeof segment === "string" && FORBIDDEN_SEGMENTS.has(segment)) return new MissingValue(`${JSON.stringify(segment)} cannot be looked up`);
    if (Array.isArray(current)) {
      const index = typeof segment === "number" ? segment : /^[0-9]+$/.test(segment) ? Number(segment) : undefined;
      if (index === undefined) return new MissingValue(`${at()} is a list; read an item with [0], [1], ...`);
      if (index >= current.length) return new MissingValue(`${at()} has ${current.length} items, so no [${index}]`);
      current = current[index];
    } else if (isPlainObject(current)) {
      const key = String(segment);
      if (!Object.hasOwn(current, key) || current[key] === undefined) return new MissingValue(`${at()} has no ${JSON.stringify(key)}`);
      current = current[key];
    } else {
      return new MissingValue(`${at()} is ${describe(current)}, so it has no ${typeof segment === "number" ? `[${segment}]` : JSON.stringify(segment)}`);
    }
  }
  return current === undefined ? new MissingValue(`${formatTemplatePath(root, segments)} has no value`) : current;
}

/** How a value is written into surrounding text: strings as they are, everything else as JSON. */
function stringify(value: unknown, ref: TemplateReference, path: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (value === null) return "null";
  if (value instanceof Date) return value.toISOString();
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    // Circular or a BigInt inside: reported below.
  }
  throw new SynergyMeshError("TEMPLATE_ERROR", `${where(path)}${ref.text} cannot be rendered: the value cannot be written as text`, { path, template: ref.text });
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "object") return "not a plain object";
  return `a ${typeof value}`;
}

function joinPath(path: string, key: string): string {
  if (PLAIN_KEY.test(key)) return path === "" ? key : `${path}.${key}`;
  return `${path}[${JSON.stringify(key)}]`;
}

function where(path: string): string {
  return path === "" ? "" : `${path}: `;
}

export type { TemplatePart, TemplateReference };
