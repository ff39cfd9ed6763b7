// Structured JSON logs through pino. Components take a `Logger` and make children carrying
// { tenantId, executionId, stepId }; values under secret-looking keys are redacted.
import { destination, pino } from "pino";

export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

export const REDACTED_KEYS = ["password", "secret", "token", "apiKey", "api_key", "authorization", "auditKey", "masterKey"];

export function createLogger(options: { level?: string } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "synergymesh" },
      redact: { paths: REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]), censor: "[REDACTED]" },
    },
    destination(2),
  );
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
