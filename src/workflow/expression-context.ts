// What a CEL expression sees: `input`, `variables`, `steps.<id>.output|status`, `execution`, `loop`,
// and the outputs of completed steps merged at the top level (seed 003's `analysis.root_cause`).
import { isPlainObject } from "./template-syntax.js";

export interface ExpressionStepState {
  /** The step execution status (SPEC D): `completed`, `failed`, `skipped`, ... */
  status: string;
  output?: unknown;
}

export interface ExpressionContextParts {
  input?: unknown;
  variables?: Record<string, unknown>;
  steps?: Record<string, ExpressionStepState>;
  /**
   * The order in which completed outputs are merged, later ids winning: the definition's step
   * order. Default: the key order of `steps` (which JavaScript sorts numerically for ids like "1", "2").
   */
  stepOrder?: readonly string[];
  execution?: Record<string, unknown>;
  /** Set inside loop steps only; `loop.index` is an int in expressions. */
  loop?: { item: unknown; index: number };
}

/** Names the merge can never shadow: an output key `input` does not hide the execution's input. */
export const EXPRESSION_ROOTS = ["input", "variables", "steps", "execution", "loop"] as const;

/**
 * Builds the context of `when`, decision and loop expressions. The top-level keys of each completed
 * step's output (plain objects only) are merged first, in `stepOrder`, so a later step in the
 * definition wins a name clash whatever the finishing order (a rerun after a crash sees the same
 * context); the explicit roots are set last and always win. Failed or skipped steps are not merged:
 * read them through `steps.<id>`.
 */
export function buildExpressionContext(parts: ExpressionContextParts): Record<string, unknown> {
  const context: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const steps = parts.steps ?? {};
  const order = parts.stepOrder ?? Object.keys(steps);
  for (const id of order) {
    const step = Object.hasOwn(steps, id) ? steps[id] : undefined;
    if (step?.status !== "completed" || !isPlainObject(step.output)) continue;
    for (const key of Object.keys(step.output)) define(context, key, step.output[key]);
  }
  const stepView: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const id of Object.keys(steps)) {
    const step = steps[id] as ExpressionStepState;
    define(stepView, id, { status: step.status, output: step.output ?? null });
  }
  define(context, "input", parts.input ?? {});
  define(context, "variables", parts.variables ?? {});
  define(context, "steps", stepView);
  define(context, "execution", parts.execution ?? {});
  if (parts.loop !== undefined) define(context, "loop", { item: parts.loop.item, index: BigInt(parts.loop.index) });
  else delete context.loop;
  return context;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
