// Diagnosis strategies (seed 003): a named set of symptoms that, matched by an incoming event,
// starts a diagnosis workflow. The input shape (snake_case keys accepted too) and its checks. Pure.
import { z } from "zod";
import { parseDuration } from "../core/duration.js";
import type { ValidationIssue } from "../core/errors.js";
import { ValidationError } from "../core/errors.js";

export const SEVERITIES = ["info", "low", "medium", "warning", "high", "critical"] as const;
/** Rank of a severity: a symptom's `severity` is the least one it accepts. */
export const SEVERITY_RANK: Readonly<Record<string, number>> = Object.freeze({ info: 0, low: 1, medium: 2, warning: 2, high: 3, critical: 4 });
export const COMPARISONS = [">", ">=", "<", "<=", "==", "!="] as const;

const glob = z.string().min(1).max(500);

export const symptomSchema = z.discriminatedUnion("type", [
  z
    .object({
      type: z.literal("event"),
      /** Glob over the event's `payload.reason` (seed 003 "K8s event reason = CrashLoopBackOff"). */
      pattern: glob,
      conditions: z
        .object({
          /** The least severity (`payload.severity`): `high` also matches `critical`. */
          severity: z.enum(SEVERITIES).optional(),
          /** Glob over the event name. */
          event: glob.optional(),
          /** Glob per label (`payload.labels.<name>`). */
          labels: z.record(z.string(), glob).optional(),
          /** Glob over `payload.message` (case-insensitive, anywhere in the text). */
          message: glob.optional(),
          namespace: glob.optional(),
        })
        .strict()
        .optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal("metric"),
      /** The metric's name in `payload.metrics`. */
      pattern: z.string().min(1).max(200),
      conditions: z.object({ operator: z.enum(COMPARISONS), threshold: z.number() }).strict(),
    })
    .strict(),
  z
    .object({
      type: z.literal("log"),
      /** Glob found anywhere in `payload.message` or one of `payload.logs` (case-insensitive). */
      pattern: glob,
    })
    .strict(),
]);

export type Symptom = z.output<typeof symptomSchema>;

export interface StrategyInput {
  /** Default: generated. Letters, digits, `_ . -`. */
  strategyId?: string;
  name: string;
  /** `pod_failure`, `node_issue`, `storage`, ... (default `general`). */
  category?: string;
  /** All must match an event for the strategy to match it. */
  symptoms: Symptom[];
  workflowId: string;
  /** Higher wins when several strategies match one event (default 5). */
  priority?: number;
  /** Default true. */
  enabled?: boolean;
  /** Events of one fingerprint within this window start one run (`5m`, ms as a number; default 5m). */
  dedupWindow?: string | number;
  /** Event paths making the fingerprint (default: name, reason, namespace, pod, node, pvc, object). */
  dedupKey?: string[];
}

export interface Strategy {
  strategyId: string;
  tenantId: string;
  name: string;
  category: string;
  symptoms: Symptom[];
  workflowId: string;
  priority: number;
  enabled: boolean;
  dedupWindowMs: number;
  dedupKey: string[];
  createdAt: number;
  updatedAt: number;
}

export const DEFAULT_DEDUP_KEY = ["name", "payload.reason", "payload.namespace", "payload.pod", "payload.node", "payload.pvc", "payload.object"];
export const DEFAULT_DEDUP_WINDOW_MS = 5 * 60_000;
const STRATEGY_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

const inputSchema = z
  .object({
    strategyId: z.string().regex(STRATEGY_ID, "must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit").optional(),
    name: z.string().min(1).max(200),
    category: z.string().min(1).max(100).optional(),
    symptoms: z.array(symptomSchema).min(1, "a strategy needs at least one symptom").max(20),
    workflowId: z.string().regex(STRATEGY_ID, "must name a workflow id"),
    priority: z.number().int().min(0).max(100).optional(),
    enabled: z.boolean().optional(),
    dedupWindow: z.union([z.string(), z.number().int().min(0)]).optional(),
    dedupKey: z.array(z.string().min(1).max(200)).min(1).max(10).optional(),
  })
  .strict();

/** Seed 003 / REST spelling to the library's: `workflow_id` -> `workflowId`, and so on. */
const SNAKE: Record<string, string> = { strategy_id: "strategyId", id: "strategyId", workflow_id: "workflowId", dedup_window: "dedupWindow", dedup_key: "dedupKey" };

export function normalizeStrategyInput(raw: unknown): Record<string, unknown> {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ValidationError([{ path: "strategy", message: "must be an object" }]);
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [SNAKE[k] ?? k, v]));
}

/** Checks a (possibly partial) strategy input; throws every problem with its path. */
export function checkStrategyInput(raw: unknown, options: { partial?: boolean } = {}): StrategyInput {
  const input = normalizeStrategyInput(raw);
  const schema = options.partial ? inputSchema.partial() : inputSchema;
  const result = schema.safeParse(input);
  const issues: ValidationIssue[] = result.success ? [] : result.error.issues.map((i) => ({ path: formatPath(i.path), message: i.code === "invalid_type" && i.input === undefined ? "required" : i.message }));
  if (input.dedupWindow !== undefined && (typeof input.dedupWindow === "string" || typeof input.dedupWindow === "number")) {
    try {
      dedupWindowMs(input.dedupWindow);
    } catch (error) {
      if (error instanceof ValidationError) issues.push(...error.issues);
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return (result as { data: StrategyInput }).data;
}

export function dedupWindowMs(value: string | number | undefined): number {
  if (value === undefined) return DEFAULT_DEDUP_WINDOW_MS;
  // A number is milliseconds in the library; a string has units (`30s`, `5m`).
  return typeof value === "number" ? value : parseDuration(value, "dedupWindow");
}

function formatPath(path: PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("") || "strategy";
}
