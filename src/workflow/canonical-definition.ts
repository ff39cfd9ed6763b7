// The normalized model written back as seed 001's canonical definition (snake_case, durations as
// `<n>ms`), so a stored version can be shown over the API and registered again (restore) as is.
import type { StepDefinition, WorkflowDefinition } from "./model.js";

export function toCanonicalDefinition(d: WorkflowDefinition): Record<string, unknown> {
  return {
    version: d.schemaVersion,
    ...(d.id !== undefined ? { id: d.id } : {}),
    name: d.name,
    description: d.description,
    variables: d.variables,
    priority: d.priority,
    ...(d.timeoutMs !== undefined ? { timeout: `${d.timeoutMs}ms` } : {}),
    steps: d.steps.map(canonicalStep),
    ...(d.triggers.length ? { triggers: d.triggers.map((t) => ({ type: t.type, name: t.name, config: t.config, is_enabled: t.enabled })) } : {}),
  };
}

function canonicalStep(s: StepDefinition): Record<string, unknown> {
  return {
    id: s.id,
    name: s.name,
    type: s.type,
    config: s.config,
    ...(s.dependsOn.length ? { depends_on: s.dependsOn } : {}),
    ...(s.onSuccess.length ? { on_success: s.onSuccess } : {}),
    ...(s.onFailure.length ? { on_failure: s.onFailure } : {}),
    ...(Object.keys(s.inputMapping).length ? { input_mapping: s.inputMapping } : {}),
    ...(Object.keys(s.outputMapping).length ? { output_mapping: s.outputMapping } : {}),
    ...(s.retry ? { retry: { max_attempts: s.retry.maxAttempts, initial_delay: `${s.retry.initialDelayMs}ms`, max_delay: `${s.retry.maxDelayMs}ms`, backoff_factor: s.retry.backoffFactor, jitter: s.retry.jitter } } : {}),
    ...(s.timeoutMs !== undefined ? { timeout: `${s.timeoutMs}ms` } : {}),
    ...(s.when !== undefined ? { when: s.when } : {}),
    ...(s.continueOnError ? { continue_on_error: true } : {}),
    ...(s.priority !== undefined ? { priority: s.priority } : {}),
    ...(s.resources ? { resources: { memory_mb: s.resources.memoryMb, cpu_percent: s.resources.cpuPercent } } : {}),
  };
}
