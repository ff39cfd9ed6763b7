// Branches written inside a step's config: seed 003 decisions (`conditions[] { if, then }` and
// `default`: a `then` naming a step is a branch, anything else a value) and seed 001 condition steps.
import type { PathSegment } from "./definition-paths.js";
import { isRecord } from "./definition-rules.js";
import type { StepDefinition } from "./model.js";

/** Step types whose config can name branch targets. */
export const DECISION_STEP_TYPES: ReadonlySet<string> = new Set(["decision", "condition"]);

export interface DecisionOutcome {
  /** Segments under the step: `["config", "conditions", 0, "then"]`, `["config", "default"]`, `["config", "else"]`. */
  at: PathSegment[];
  /** A branch names an existing step; anything else is a value (the decision's output). */
  kind: "branch" | "value";
  /** The target of a branch. */
  step?: string;
  value?: unknown;
  /** The field can only name a step (a condition step's `then` / `else`): a value there is a mistake. */
  stepOnly: boolean;
}

export function isDecisionStep(step: Pick<StepDefinition, "type">): boolean {
  return DECISION_STEP_TYPES.has(step.type);
}

/** A string equal to a step id is a branch to it; anything else is a value (seed 003's `"increase_memory"`). */
function readOutcome(written: unknown, at: PathSegment[], stepIds: ReadonlySet<string>, stepOnly = false): DecisionOutcome {
  if (typeof written === "string" && stepIds.has(written)) return { at, kind: "branch", step: written, stepOnly };
  return { at, kind: "value", value: written, stepOnly };
}

/** Every outcome a decision or condition step can take, in written order; empty for other steps. */
export function decisionOutcomes(step: Pick<StepDefinition, "type" | "config">, stepIds: ReadonlySet<string>): DecisionOutcome[] {
  if (!isDecisionStep(step)) return [];
  const outcomes: DecisionOutcome[] = [];
  const { conditions } = step.config;
  if (Array.isArray(conditions)) {
    conditions.forEach((condition: unknown, index) => {
      if (isRecord(condition) && Object.hasOwn(condition, "then")) {
        outcomes.push(readOutcome(condition.then, ["config", "conditions", index, "then"], stepIds));
      }
    });
  }
  if (Object.hasOwn(step.config, "default")) outcomes.push(readOutcome(step.config.default, ["config", "default"], stepIds));
  // Seed 001's condition step: `{ expression, then, else }`, where then / else name steps.
  if (step.type === "condition") {
    for (const key of ["then", "else"] as const) {
      if (typeof step.config[key] === "string") outcomes.push(readOutcome(step.config[key], ["config", key], stepIds, true));
    }
  }
  return outcomes;
}
