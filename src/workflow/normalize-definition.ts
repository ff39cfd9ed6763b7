// Raw definition (already shape-checked) -> the normalized model: camelCase, durations in ms,
// priorities 1-10, seed 002 tasks as steps, seed 003's trigger_type / trigger_config as one trigger.
import { parseDuration } from "../core/duration.js";
import { DEFAULT_RETRY_POLICY } from "../core/retry.js";
import type { RawDefinition, RawRetry, RawStep, RawTask, RawTrigger } from "./definition-schema.js";
import {
  DEFAULT_PRIORITY,
  PRIORITY_WORDS,
  type Dialect,
  type StepDefinition,
  type StepResources,
  type StepRetry,
  type TriggerDefinition,
  type WorkflowDefinition,
} from "./model.js";

/** Tries when a `retry` block gives no count (seed 001's scheduler default). */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Reservations when a step declares `resources` partly (SPEC D). */
export const DEFAULT_STEP_RESOURCES: Readonly<StepResources> = Object.freeze({ memoryMb: 128, cpuPercent: 10 });
export const DEFAULT_SCHEMA_VERSION = "1.0";

/** tasks -> seed 002; trigger_type or any on_success / on_failure -> seed 003; else seed 001. */
export function detectDialect(raw: RawDefinition): Dialect {
  if (raw.tasks !== undefined) return "tasks";
  if (raw.trigger_type !== undefined || raw.trigger_config !== undefined) return "branching";
  if (raw.steps?.some((step) => step.on_success !== undefined || step.on_failure !== undefined)) return "branching";
  return "canonical";
}

export function normalizePriority(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  return typeof value === "number" ? value : PRIORITY_WORDS[value];
}

function optionalMs(value: string | number | undefined): number | undefined {
  return value === undefined ? undefined : parseDuration(value);
}

export function normalizeRetry(raw: RawRetry): StepRetry {
  const maxAttempts = raw.max_attempts ?? raw.retry_attempts ?? (raw.max_retries !== undefined ? raw.max_retries + 1 : DEFAULT_MAX_ATTEMPTS);
  const initialDelayMs = optionalMs(raw.initial_delay) ?? DEFAULT_RETRY_POLICY.initialDelay;
  // A long initial delay with no max given raises the cap rather than being cut below itself.
  const maxDelayMs = optionalMs(raw.max_delay) ?? Math.max(DEFAULT_RETRY_POLICY.maxDelay, initialDelayMs);
  return { maxAttempts, initialDelayMs, maxDelayMs, backoffFactor: raw.backoff_factor ?? DEFAULT_RETRY_POLICY.exponentialBase, jitter: raw.jitter ?? 0 };
}

function normalizeStep(raw: RawStep): StepDefinition {
  return {
    id: raw.id,
    name: raw.name ?? raw.id,
    type: raw.type,
    config: raw.config ?? {},
    dependsOn: raw.depends_on ?? [],
    onSuccess: raw.on_success ?? [],
    onFailure: raw.on_failure ?? [],
    inputMapping: raw.input_mapping ?? {},
    outputMapping: raw.output_mapping ?? {},
    retry: raw.retry ? normalizeRetry(raw.retry) : undefined,
    timeoutMs: optionalMs(raw.timeout),
    when: raw.when,
    continueOnError: raw.continue_on_error ?? false,
    priority: normalizePriority(raw.priority),
    resources: raw.resources
      ? { memoryMb: raw.resources.memory_mb ?? DEFAULT_STEP_RESOURCES.memoryMb, cpuPercent: raw.resources.cpu_percent ?? DEFAULT_STEP_RESOURCES.cpuPercent }
      : undefined,
    runsOn: raw.runs_on,
  };
}

function normalizeTask(raw: RawTask): StepDefinition {
  return {
    ...normalizeStep({ id: raw.id, name: raw.name, type: raw.type, config: raw.config, timeout: raw.timeout, retry: raw.retry }),
    dependsOn: raw.dependencies ?? [],
    priority: normalizePriority(raw.priority),
  };
}

function normalizeTrigger(raw: RawTrigger, index: number): TriggerDefinition {
  return { type: raw.type, name: raw.name ?? raw.type, config: raw.config ?? {}, enabled: raw.is_enabled ?? true, configPath: `triggers[${index}].config` };
}

/** YAML reads `version: 1.0` as the number 1; print it back as "1.0" rather than "1". */
function schemaVersion(value: string | number | undefined): string {
  if (value === undefined) return DEFAULT_SCHEMA_VERSION;
  if (typeof value === "string") return value;
  return Number.isInteger(value) ? value.toFixed(1) : String(value);
}

function extraFields(raw: RawDefinition): Record<string, unknown> {
  const extra: Record<string, unknown> = {};
  if (raw.status !== undefined) extra.status = raw.status;
  if (raw.tags !== undefined) extra.tags = raw.tags;
  if (raw.owner_id !== undefined) extra.ownerId = raw.owner_id;
  if (raw.is_template !== undefined) extra.isTemplate = raw.is_template;
  if (raw.category !== undefined) extra.category = raw.category;
  if (raw.metadata !== undefined) extra.metadata = raw.metadata;
  return extra;
}

export function normalizeDefinition(raw: RawDefinition): WorkflowDefinition {
  const dialect = detectDialect(raw);
  const triggers: TriggerDefinition[] = [];
  if (raw.trigger_type !== undefined) {
    triggers.push({ type: raw.trigger_type, name: raw.trigger_type, config: raw.trigger_config ?? {}, enabled: true, configPath: "trigger_config" });
  }
  (raw.triggers ?? []).forEach((trigger, index) => triggers.push(normalizeTrigger(trigger, index)));
  return {
    schemaVersion: schemaVersion(raw.version),
    id: raw.id,
    name: raw.name ?? raw.id ?? "",
    description: raw.description ?? "",
    dialect,
    variables: raw.variables ?? {},
    priority: normalizePriority(raw.priority) ?? DEFAULT_PRIORITY,
    timeoutMs: optionalMs(raw.timeout),
    ...(raw.concurrency ? { concurrency: { key: raw.concurrency.key, limit: raw.concurrency.limit ?? 1, strategy: raw.concurrency.strategy ?? "queue" } } : {}),
    steps: dialect === "tasks" ? (raw.tasks ?? []).map(normalizeTask) : (raw.steps ?? []).map(normalizeStep),
    triggers,
    extra: extraFields(raw),
  };
}
