// Matches an event against diagnosis strategies: every symptom of a strategy must hold; among the
// enabled matches the highest priority wins (then the oldest, then the id), so one event starts at
// most one diagnosis. Also the event's fingerprint for de-duplication. Pure.
import { createHash } from "node:crypto";
import { globMatch } from "../core/glob.js";
import type { TenantEvent } from "../events/tenant-event.js";
import type { Strategy, Symptom } from "./strategy-model.js";
import { SEVERITY_RANK } from "./strategy-model.js";

export function symptomMatches(symptom: Symptom, event: TenantEvent): boolean {
  const p = event.payload;
  switch (symptom.type) {
    case "event": {
      const reason = typeof p.reason === "string" ? p.reason : event.name;
      if (!globMatch(symptom.pattern, reason, { ignoreCase: true })) return false;
      const c = symptom.conditions ?? {};
      if (c.severity !== undefined) {
        const rank = typeof p.severity === "string" ? SEVERITY_RANK[p.severity.toLowerCase()] : undefined;
        if (rank === undefined || rank < (SEVERITY_RANK[c.severity] as number)) return false;
      }
      if (c.event !== undefined && !globMatch(c.event, event.name, { ignoreCase: true })) return false;
      if (c.namespace !== undefined && !(typeof p.namespace === "string" && globMatch(c.namespace, p.namespace))) return false;
      if (c.message !== undefined && !(typeof p.message === "string" && contains(c.message, p.message))) return false;
      if (c.labels !== undefined) {
        const labels = p.labels !== null && typeof p.labels === "object" ? (p.labels as Record<string, unknown>) : {};
        for (const [name, pattern] of Object.entries(c.labels)) {
          const value = Object.hasOwn(labels, name) ? labels[name] : undefined;
          if (typeof value !== "string" || !globMatch(pattern, value)) return false;
        }
      }
      return true;
    }
    case "metric": {
      const metrics = p.metrics !== null && typeof p.metrics === "object" ? (p.metrics as Record<string, unknown>) : {};
      const value = Object.hasOwn(metrics, symptom.pattern) ? metrics[symptom.pattern] : undefined;
      if (typeof value !== "number" || !Number.isFinite(value)) return false;
      return compare(value, symptom.conditions.operator, symptom.conditions.threshold);
    }
    case "log": {
      const lines = [p.message, ...(Array.isArray(p.logs) ? p.logs : [])].filter((l): l is string => typeof l === "string");
      return lines.some((line) => contains(symptom.pattern, line));
    }
  }
}

export function strategyMatches(strategy: Strategy, event: TenantEvent): boolean {
  return strategy.enabled && strategy.symptoms.every((s) => symptomMatches(s, event));
}

/** The enabled strategy that should handle the event, or undefined. */
export function bestStrategy(strategies: Strategy[], event: TenantEvent): Strategy | undefined {
  const matches = strategies.filter((s) => strategyMatches(s, event));
  matches.sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt || a.strategyId.localeCompare(b.strategyId));
  return matches[0];
}

/** A short hash of the event's values at the strategy's de-duplication paths. */
export function eventFingerprint(event: TenantEvent, paths: string[]): string {
  const root: Record<string, unknown> = { name: event.name, payload: event.payload, id: event.id };
  const values = paths.map((path) => lookup(root, path) ?? null);
  return createHash("sha256").update(JSON.stringify(values)).digest("hex").slice(0, 32);
}

function lookup(root: Record<string, unknown>, path: string): unknown {
  let value: unknown = root;
  for (const part of path.split(".")) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/** A glob found anywhere in the text, ignoring case. */
function contains(pattern: string, text: string): boolean {
  return globMatch(`*${pattern}*`, text, { ignoreCase: true });
}

function compare(value: number, operator: string, threshold: number): boolean {
  switch (operator) {
    case ">":
      return value > threshold;
    case ">=":
      return value >= threshold;
    case "<":
      return value < threshold;
    case "<=":
      return value <= threshold;
    case "==":
      return value === threshold;
    default:
      return value !== threshold;
  }
}
