// The shape of a tenant event (from the API, the in-process bus or a NATS subject) and its checks:
// a name, an object payload, an optional id for de-duplication. Pure.
import { randomUUID } from "node:crypto";
import type { ValidationIssue } from "../core/errors.js";
import { ValidationError } from "../core/errors.js";

export interface EventInput {
  /** `k8s.pod.crashloop`, `order.created`: letters, digits and `._:/-`. */
  name: string;
  payload?: Record<string, unknown>;
  /** The sender's id of this event: a repeated id starts nothing new. Default: a new UUID. */
  id?: string;
}

export interface TenantEvent {
  id: string;
  name: string;
  payload: Record<string, unknown>;
  /** `api`, `bus`, or `nats:<subject>`. */
  source: string;
  /** When it was received (epoch ms). */
  time: number;
}

export const EVENT_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.:/-]{0,199}$/;
export const MAX_EVENT_PAYLOAD_BYTES = 256 * 1024;

export function toTenantEvent(input: EventInput, source: string, now: number): TenantEvent {
  const issues: ValidationIssue[] = [];
  if (input === null || typeof input !== "object" || Array.isArray(input)) throw new ValidationError([{ path: "event", message: "must be an object with name and payload" }]);
  if (typeof input.name !== "string" || !EVENT_NAME.test(input.name)) issues.push({ path: "name", message: "required: 1-200 letters, digits or _ . : / - (such as k8s.pod.crashloop)" });
  const payload = input.payload ?? {};
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) issues.push({ path: "payload", message: "must be an object" });
  else if (Buffer.byteLength(JSON.stringify(payload)) > MAX_EVENT_PAYLOAD_BYTES) issues.push({ path: "payload", message: `must be at most ${MAX_EVENT_PAYLOAD_BYTES} bytes as JSON` });
  if (input.id !== undefined && (typeof input.id !== "string" || input.id.length === 0 || input.id.length > 200)) issues.push({ path: "id", message: "must be a string of 1-200 characters" });
  if (issues.length > 0) throw new ValidationError(issues);
  return { id: input.id ?? randomUUID(), name: input.name, payload: payload as Record<string, unknown>, source, time: now };
}

/** The event as workflows and expressions see it (snake_case, ISO time). */
export function eventView(event: TenantEvent): Record<string, unknown> {
  return { id: event.id, name: event.name, payload: event.payload, source: event.source, time: new Date(event.time).toISOString() };
}
