// Durations: library numbers are milliseconds; definitions and config use strings with units
// (`30s`, `5m`, `1h30m`, `250ms`), and a bare number there means seconds (SPEC D).
import { ValidationError } from "./errors.js";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Parses `30s`, `5m`, `1h30m`, `1.5s`, `300` (seconds) into milliseconds; throws ValidationError at `path`. */
export function parseDuration(value: string | number, path = "duration"): number {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || value < 0) throw new ValidationError([{ path, message: `must be a non-negative number of seconds, got ${value}` }]);
    return Math.round(value * 1000);
  }
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  let total = 0;
  PART.lastIndex = 0;
  let matched = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const m = PART.exec(text);
    if (!m || m.index !== start) break;
    total += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
    matched = PART.lastIndex;
  }
  if (text.length === 0 || matched !== text.length) {
    throw new ValidationError([{ path, message: `${JSON.stringify(value)} is not a duration; use a number with a unit such as 500ms, 30s, 5m, 1h` }]);
  }
  return Math.round(total);
}
