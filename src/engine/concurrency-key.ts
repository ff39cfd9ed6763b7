// A workflow's concurrency key for one execution: the `concurrency.key` template rendered over the
// start's input and the workflow's variables. Executions with the same key (per tenant) hold it
// while they run, at most `limit` at a time (docs/scheduling.md#concurrency-keys).
import { ValidationError } from "../core/errors.js";
import { renderTemplate } from "../workflow/templates.js";
import type { WorkflowDefinition } from "../workflow/model.js";

/** Keys are stored and compared as text; a long one is refused rather than cut. */
const MAX_KEY_LENGTH = 500;

export function renderConcurrencyKey(definition: WorkflowDefinition, input: unknown): string | null {
  if (!definition.concurrency) return null;
  const value = renderTemplate(definition.concurrency.key, { input, variables: definition.variables }, { path: "concurrency.key" });
  const key = typeof value === "string" ? value : JSON.stringify(value);
  if (key === "" || key.length > MAX_KEY_LENGTH) {
    throw new ValidationError([{ path: "concurrency.key", message: `must render to 1-${MAX_KEY_LENGTH} characters, got ${key.length}` }]);
  }
  return key;
}
