// Shape rules that span several fields (steps or tasks, trigger_type with trigger_config, one
// attempt count, initial_delay <= max_delay). Run on raw input next to zod, so all problems show at once.
import { parseDuration } from "../core/duration.js";
import type { DefinitionIssue } from "./definition-issue.js";
import type { PathSegment } from "./definition-paths.js";

const ATTEMPT_KEYS = ["max_attempts", "retry_attempts", "max_retries"] as const;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function durationMs(value: unknown): number | undefined {
  if (typeof value !== "string" && typeof value !== "number") return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined; // zod reports the bad duration itself
  }
}

function retryIssues(retry: unknown, at: PathSegment[]): DefinitionIssue[] {
  if (!isRecord(retry)) return [];
  const issues: DefinitionIssue[] = [];
  const given = ATTEMPT_KEYS.filter((key) => retry[key] !== undefined);
  for (const key of given.slice(1)) {
    issues.push({
      segments: [...at, key],
      message: `give only one of ${ATTEMPT_KEYS.join(", ")} (found ${given.join(" and ")}); max_attempts and retry_attempts count all tries, max_retries the tries after the first`,
      code: "invalid",
      atKey: true,
    });
  }
  const initial = durationMs(retry.initial_delay);
  const max = durationMs(retry.max_delay);
  if (initial !== undefined && max !== undefined && initial > max) {
    issues.push({ segments: [...at, "initial_delay"], message: `initial_delay (${initial} ms) is longer than max_delay (${max} ms)`, code: "invalid" });
  }
  return issues;
}

/** Cross-field problems of a definition object (the wrapper, if any, already removed). */
export function crossFieldIssues(raw: Record<string, unknown>): DefinitionIssue[] {
  const issues: DefinitionIssue[] = [];
  if (raw.steps !== undefined && raw.tasks !== undefined) {
    issues.push({ segments: ["tasks"], message: "give either steps or tasks (seed 002's form), not both", code: "invalid", atKey: true });
  } else if (raw.steps === undefined && raw.tasks === undefined) {
    issues.push({ segments: ["steps"], message: "required: a definition lists its steps (or seed 002's tasks)", code: "required" });
  }
  if (raw.trigger_config !== undefined && raw.trigger_type === undefined) {
    issues.push({ segments: ["trigger_config"], message: "needs trigger_type beside it, naming the trigger's type (event, schedule, ...)", code: "invalid", atKey: true });
  }
  for (const list of ["steps", "tasks"] as const) {
    const items = raw[list];
    if (!Array.isArray(items)) continue;
    items.forEach((item: unknown, index) => {
      if (isRecord(item)) issues.push(...retryIssues(item.retry, [list, index, "retry"]));
    });
  }
  return issues;
}
