// Loading a workflow definition (SPEC D "loads"): text or object -> the normalized model, in any of
// the seed dialects, or one ValidationError listing every shape problem with its path (and line).
import { loadOrThrow, type ParseDefinitionOptions } from "./load-definition.js";
import type { WorkflowDefinition } from "./model.js";

export type { ParseDefinitionOptions } from "./load-definition.js";

/** Seed 001's `POST /api/v1/workflows` body, unwrapped; a bare definition (seed 003) gives the same. */
export interface CreateBody {
  definition: WorkflowDefinition;
  name: string;
  description: string;
  tags: string[];
  ownerId: string | undefined;
}

/**
 * Loads a definition: YAML or JSON text, or an object already parsed. Accepts seed 001's canonical
 * form, seed 003's branches and trigger_type, seed 002's tasks, and seed 001's create-body wrapper.
 * Step types are not checked here (that is `validateDefinition`). Throws one ValidationError.
 */
export function parseDefinition(input: string | object, options: ParseDefinitionOptions = {}): WorkflowDefinition {
  return loadOrThrow(input, options);
}

/**
 * Reads a `POST /api/v1/workflows` body: seed 001's wrapper (`name, description, definition,
 * tags, owner_id`) or a bare definition. Problems inside a wrapper's definition have paths under `definition.`.
 */
export function unwrapCreateBody(body: string | object, options: ParseDefinitionOptions = {}): CreateBody {
  const definition = loadOrThrow(body, options);
  const tags = definition.extra.tags;
  const ownerId = definition.extra.ownerId;
  return {
    definition,
    name: definition.name,
    description: definition.description,
    tags: Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === "string") : [],
    ownerId: typeof ownerId === "string" ? ownerId : undefined,
  };
}
