// Retry policies per component (seed 000 `retry_policies[component_id] = RetryPolicy(...)`): a Map
// that checks each policy as it is set, so a bad number fails at `set`, not in the middle of a run.
import { ValidationError } from "../core/errors.js";
import type { ValidationIssue } from "../core/errors.js";
import type { RetryPolicy, RetryPolicyInput } from "../core/retry.js";
import { DEFAULT_RETRY_POLICY } from "../core/retry.js";

const FIELDS: Record<keyof RetryPolicy, { min: number; max?: number; integer?: boolean }> = {
  maxRetries: { min: 0, integer: true },
  initialDelay: { min: 0 },
  maxDelay: { min: 0 },
  exponentialBase: { min: 1 },
  jitter: { min: 0, max: 1 },
  timeout: { min: 0 },
};

export function validateRetryPolicy(input: RetryPolicyInput, path: string): ValidationIssue[] {
  if (typeof input !== "object" || input === null) return [{ path, message: "must be an object" }];
  const issues: ValidationIssue[] = [];
  for (const [key, value] of Object.entries(input)) {
    const rule = FIELDS[key as keyof RetryPolicy];
    if (!rule) {
      issues.push({ path: `${path}.${key}`, message: `is not a retry setting; known: ${Object.keys(FIELDS).join(", ")}` });
      continue;
    }
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || value < rule.min || (rule.max !== undefined && value > rule.max) || (rule.integer && !Number.isInteger(value))) {
      const range = rule.max !== undefined ? `between ${rule.min} and ${rule.max}` : `at least ${rule.min}`;
      issues.push({ path: `${path}.${key}`, message: `must be ${rule.integer ? "an integer" : "a number"} ${range}, got ${JSON.stringify(value)}` });
    }
  }
  return issues;
}

export class RetryPolicyRegistry extends Map<string, RetryPolicyInput> {
  override set(componentId: string, policy: RetryPolicyInput): this {
    const issues = validateRetryPolicy(policy, `retryPolicies[${JSON.stringify(componentId)}]`);
    if (issues.length) throw new ValidationError(issues);
    return super.set(componentId, Object.freeze({ ...policy }));
  }

  /** The component's policy over the defaults, with per-call overrides on top. */
  resolve(componentId: string, overrides: RetryPolicyInput = {}): RetryPolicy {
    const issues = validateRetryPolicy(overrides, "options");
    if (issues.length) throw new ValidationError(issues);
    const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
    return { ...DEFAULT_RETRY_POLICY, ...this.get(componentId), ...defined };
  }
}
