// The live events the gateway forwards (the engine's typed events, after commit) and their JSON
// shape on the wire (snake_case, like REST).
import type { EngineEventMap } from "../../engine/engine-events.js";

export const GATEWAY_EVENTS = ["execution.started", "execution.finished", "step.started", "step.finished"] as const satisfies ReadonlyArray<keyof EngineEventMap>;

export function eventPayload(event: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(event)) out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = value;
  return out;
}
