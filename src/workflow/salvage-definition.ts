// A best-effort model of a definition that has shape problems, so validation can still report the
// rest at once: bad fields are dropped, bad required ids and types get placeholders. Never executed.
import type { PathSegment } from "./definition-paths.js";
import { isRecord } from "./definition-rules.js";
import { definitionSchema } from "./definition-schema.js";
import type { WorkflowDefinition } from "./model.js";
import { normalizeDefinition } from "./normalize-definition.js";
import { fromZodIssues } from "./zod-issues.js";

/** Placeholder type of a step whose type was missing or wrong; its issue is already reported. */
export const PLACEHOLDER_TYPE = "(invalid)";
const MAX_ROUNDS = 5;

function clone(value: unknown, seen = new WeakSet<object>()): unknown {
  if (typeof value !== "object" || value === null || seen.has(value)) return value;
  seen.add(value);
  if (Array.isArray(value)) return value.map((item: unknown) => clone(item, seen));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, clone(item, seen)]));
}

function containerAt(root: unknown, segments: readonly PathSegment[]): unknown {
  let node = root;
  for (const segment of segments) {
    if (Array.isArray(node) && typeof segment === "number") node = node[segment];
    else if (isRecord(node) && typeof segment === "string") node = node[segment];
    else return undefined;
  }
  return node;
}

class Repairer {
  readonly placeholderIds = new Set<string>();

  #placeholderId(): string {
    const id = `_invalid_${this.placeholderIds.size + 1}`;
    this.placeholderIds.add(id);
    return id;
  }

  /** Makes the value at `segments` acceptable: a placeholder for list items, ids and types; else removal. */
  repair(root: Record<string, unknown>, segments: readonly PathSegment[], unknownKey: boolean): boolean {
    const last = segments[segments.length - 1];
    const parent = containerAt(root, segments.slice(0, -1));
    if (Array.isArray(parent) && typeof last === "number") {
      const list = segments[segments.length - 2];
      if (list === "steps" || list === "tasks") parent[last] = { id: this.#placeholderId(), type: PLACEHOLDER_TYPE };
      else if (list === "triggers") parent[last] = { type: PLACEHOLDER_TYPE };
      else parent[last] = PLACEHOLDER_TYPE;
      return true;
    }
    if (isRecord(parent) && typeof last === "string") {
      if (unknownKey) delete parent[last];
      else if (last === "id" && segments.length > 1) parent.id = this.#placeholderId();
      else if (last === "type" && segments.length > 1) parent.type = PLACEHOLDER_TYPE;
      else delete parent[last];
      return true;
    }
    return false;
  }
}

export interface Salvaged {
  definition: WorkflowDefinition;
  /** Ids made up for steps whose id was missing or wrong: not to be offered as known steps. */
  placeholderIds: ReadonlySet<string>;
}

/** The model of `data` with its shape problems patched over, or undefined when nothing can be saved. */
export function salvageDefinition(data: Record<string, unknown>): Salvaged | undefined {
  const copy = clone(data) as Record<string, unknown>;
  const repairer = new Repairer();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const parsed = definitionSchema.safeParse(copy);
    if (parsed.success) return { definition: normalizeDefinition(parsed.data), placeholderIds: repairer.placeholderIds };
    for (const issue of fromZodIssues(parsed.error.issues, definitionSchema)) {
      if (issue.segments.length === 0 || !repairer.repair(copy, issue.segments, issue.code === "unknown_key")) return undefined;
    }
  }
  return undefined;
}
