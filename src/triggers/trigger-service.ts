// Triggers of a tenant: create, read (with next fire times), update, delete, and the sync that makes a
// workflow definition's `triggers:` stored triggers following the workflow's versions. Another
// tenant's trigger answers exactly like a missing one.
import { createHash } from "node:crypto";
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import type { ValidationIssue } from "../core/errors.js";
import { ConflictError, NotFoundError, ValidationError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { TriggerRow, TriggerStore, TriggerType } from "../store/trigger-store.js";
import type { WorkflowDefinition } from "../workflow/model.js";
import { nextFireTime, nextFireTimes } from "./cron/cron-schedule.js";
import { TRIGGER_TYPES, UNSIGNED_WEBHOOK, checkApiTriggerConfig, checkTriggerConfig, isUnsignedWebhook, scheduleSettings, triggerConfigIssues } from "./trigger-config.js";
import type { CreateTriggerInput, Trigger, UpdateTriggerInput } from "./trigger-types.js";

const SHOWN_FIRE_TIMES = 5;

export class TriggerService {
  #store: TriggerStore;
  #clock: Clock;
  /** Called after any change that can move a timed trigger, so the scheduler looks again at once. */
  #changed: () => void;

  constructor(store: TriggerStore, clock: Clock, changed: () => void) {
    this.#store = store;
    this.#clock = clock;
    this.#changed = changed;
  }

  async create(tenantId: string, input: CreateTriggerInput, userId = "system"): Promise<Trigger> {
    const issues: ValidationIssue[] = [];
    if (input === null || typeof input !== "object") throw new ValidationError([{ path: "trigger", message: "must be an object" }]);
    if (typeof input.workflowId !== "string" || input.workflowId === "") issues.push({ path: "workflowId", message: "required: the workflow the trigger starts" });
    if (input.name !== undefined && (typeof input.name !== "string" || input.name.length > 200)) issues.push({ path: "name", message: "must be a string of at most 200 characters" });
    if (input.enabled !== undefined && typeof input.enabled !== "boolean") issues.push({ path: "enabled", message: "must be true or false" });
    issues.push(...triggerConfigIssues(input.type, input.config ?? {}, "config", "type"));
    if (issues.length > 0) throw new ValidationError(issues);
    const config = checkApiTriggerConfig(input.type, input.config ?? {});
    const now = this.#clock.now();
    const enabled = input.enabled ?? true;
    const row: TriggerRow = {
      tenantId,
      triggerId: newId(),
      workflowId: input.workflowId,
      type: input.type,
      name: input.name ?? input.type,
      config,
      enabled,
      source: "api",
      webhookPath: input.type === "webhook" ? String(config.path) : null,
      nextFireAt: firstFireAt(input.type, config, now),
      state: {},
      stateVersion: 0,
      lastFiredAt: null,
      fireCount: 0,
      createdAt: now,
      updatedAt: now,
    };
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "create_trigger", status: "success", componentId: row.triggerId, userId, metadata: { workflow_id: row.workflowId, type: row.type } })];
    const outcome = await this.#store.insertTrigger(row, audit);
    if (outcome === "path_taken") throw new ConflictError(`Webhook path ${JSON.stringify(row.webhookPath)} is already used by another trigger of this tenant`, { path: "config.path" });
    this.#changed();
    return toTrigger(row);
  }

  async get(tenantId: string, triggerId: string): Promise<Trigger> {
    return toTrigger(await this.#getRow(tenantId, triggerId));
  }

  async list(tenantId: string, filter: { workflowId?: string; type?: TriggerType } = {}): Promise<Trigger[]> {
    if (filter.type !== undefined && !TRIGGER_TYPES.includes(filter.type)) throw new ValidationError([{ path: "type", message: `must be one of ${TRIGGER_TYPES.join(", ")}` }]);
    return (await this.#store.listTriggers(tenantId, filter)).map(toTrigger);
  }

  async update(tenantId: string, triggerId: string, input: UpdateTriggerInput, userId = "system"): Promise<Trigger> {
    const before = await this.#getRow(tenantId, triggerId);
    if (before.source === "definition") throw definitionOwned(before);
    const issues: ValidationIssue[] = [];
    if (input.name !== undefined && (typeof input.name !== "string" || input.name.length > 200)) issues.push({ path: "name", message: "must be a string of at most 200 characters" });
    if (input.enabled !== undefined && typeof input.enabled !== "boolean") issues.push({ path: "enabled", message: "must be true or false" });
    if (input.config !== undefined) issues.push(...triggerConfigIssues(before.type, input.config, "config"));
    if (issues.length > 0) throw new ValidationError(issues);
    const config = input.config !== undefined ? checkApiTriggerConfig(before.type, input.config) : undefined;
    const now = this.#clock.now();
    const result = await this.#store.updateTrigger(tenantId, triggerId, (current) => {
      const nextConfig = config ?? current.config;
      const enabled = input.enabled ?? current.enabled;
      // A new schedule, or one enabled again, starts from now: time spent disabled is not "missed".
      const reschedule = config !== undefined || (enabled && !current.enabled);
      return {
        patch: {
          updatedAt: now,
          enabled,
          config: nextConfig,
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(current.type === "webhook" ? { webhookPath: String(nextConfig.path) } : {}),
          ...(reschedule ? { nextFireAt: firstFireAt(current.type, nextConfig, now) } : {}),
        },
        audit: [makeAuditEntry(this.#clock, { tenantId, action: "update_trigger", status: "success", componentId: triggerId, userId, metadata: { fields: Object.keys(input) } })],
      };
    });
    if (result === undefined) throw new NotFoundError("trigger", triggerId);
    if (result === "path_taken") throw new ConflictError("The new webhook path is already used by another trigger of this tenant", { path: "config.path" });
    this.#changed();
    return toTrigger(result);
  }

  async delete(tenantId: string, triggerId: string, userId = "system"): Promise<void> {
    const before = await this.#getRow(tenantId, triggerId);
    if (before.source === "definition") throw definitionOwned(before);
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "delete_trigger", status: "success", componentId: triggerId, userId, metadata: { workflow_id: before.workflowId } })];
    if (!(await this.#store.deleteTrigger(tenantId, triggerId, audit))) throw new NotFoundError("trigger", triggerId);
    this.#changed();
  }

  /**
   * A resumed tenant's schedules start again from now, as a trigger enabled again does: its time
   * suspended is not missed time (nothing fires for it under any catch-up policy).
   */
  async restartTenant(tenantId: string): Promise<void> {
    const now = this.#clock.now();
    await this.#store.restartTimedTriggers(tenantId, (row) => firstFireAt(row.type, row.config, now));
    this.#changed();
  }

  /**
   * Every problem of a definition's stored trigger types, at its definition path, checked before
   * anything is saved: bad configs and a webhook path written twice (VALIDATION_FAILED), then a path
   * another trigger of the tenant holds (CONFLICT, at `triggers[i].config.path`). `workflowId`:
   * the workflow the definition becomes a version of (its own definition triggers give their paths
   * up), undefined for a new one.
   */
  async checkDefinition(tenantId: string, workflowId: string | undefined, definition: WorkflowDefinition): Promise<void> {
    const configPath = (i: number) => definition.triggers[i]?.configPath ?? `triggers[${i}].config`;
    const issues = definition.triggers.flatMap((t, i) => (isStoredType(t.type) ? triggerConfigIssues(t.type, t.config, configPath(i)) : []));
    if (issues.length > 0) throw new ValidationError(issues);
    const paths = new Map<string, number>();
    definition.triggers.forEach((t, i) => {
      if (t.type !== "webhook") return;
      const path = String(checkTriggerConfig("webhook", t.config).path);
      const first = paths.get(path);
      if (first === undefined) paths.set(path, i);
      else issues.push({ path: `${configPath(i)}.path`, message: `${JSON.stringify(path)} is already the path of ${configPath(first)}; each webhook trigger needs its own path` });
    });
    if (issues.length > 0) throw new ValidationError(issues);
    if (paths.size === 0) return;
    const held = (await this.#store.listTriggers(tenantId, { type: "webhook" })).filter((r) => !(r.source === "definition" && r.workflowId === workflowId));
    for (const [path, i] of paths) {
      const holder = held.find((r) => r.webhookPath === path);
      if (holder) throw new ConflictError(`Webhook path ${JSON.stringify(path)} is already used by trigger ${holder.triggerId} of workflow ${holder.workflowId}`, { path: `${configPath(i)}.path`, triggerId: holder.triggerId });
    }
  }

  /**
   * Makes the definition's schedule, webhook, event and condition triggers the workflow's
   * definition triggers (`manual` and custom types are not stored). A trigger keeps its id (and
   * its schedule position) across versions while its type and name stay; a changed schedule starts
   * again from now.
   */
  async syncDefinition(tenantId: string, workflowId: string, definition: WorkflowDefinition, userId = "system"): Promise<void> {
    const now = this.#clock.now();
    const seen = new Map<string, number>();
    const existing = new Map((await this.#store.listTriggers(tenantId, { workflowId })).filter((r) => r.source === "definition").map((r) => [r.triggerId, r]));
    const rows = definition.triggers.filter((t) => isStoredType(t.type)).map((t) => {
      const type = t.type as TriggerType;
      const base = `${workflowId}\u0000${type}\u0000${t.name}`;
      const occurrence = (seen.get(base) ?? 0) + 1;
      seen.set(base, occurrence);
      const triggerId = `def-${createHash("sha256").update(`${tenantId}\u0000${base}\u0000${occurrence}`).digest("hex").slice(0, 24)}`;
      const config = checkTriggerConfig(type, t.config);
      const before = existing.get(triggerId);
      // An unsigned, non-public webhook (seed 001 writes one) is kept but takes no calls until fixed.
      const unsigned = isUnsignedWebhook(type, config);
      const enabled = t.enabled && !unsigned;
      const resetSchedule = before === undefined || JSON.stringify(timingOf(type, before.config)) !== JSON.stringify(timingOf(type, config)) || (enabled && !before.enabled);
      return {
        tenantId,
        triggerId,
        workflowId,
        type,
        name: t.name,
        config,
        enabled,
        source: "definition" as const,
        webhookPath: type === "webhook" ? String(config.path) : null,
        nextFireAt: firstFireAt(type, config, now),
        state: unsigned ? { disabled_because: UNSIGNED_WEBHOOK.replace(/^required: /, "") } : {},
        stateVersion: 0,
        lastFiredAt: null,
        fireCount: 0,
        createdAt: before?.createdAt ?? now,
        updatedAt: now,
        resetSchedule,
      };
    });
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "sync_triggers", status: "success", componentId: workflowId, userId, metadata: { triggers: rows.map((r) => r.triggerId) } })];
    const result = await this.#store.syncDefinitionTriggers(tenantId, workflowId, rows, audit);
    if (!result.ok) {
      const index = definition.triggers.findIndex((t) => t.type === "webhook" && String(t.config.path).replace(/^\/+/, "") === result.pathTaken);
      const at = definition.triggers[index]?.configPath ?? `triggers[${index}].config`;
      throw new ConflictError(`Webhook path ${JSON.stringify(result.pathTaken)} is already used by another trigger of this tenant`, { path: `${at}.path` });
    }
    this.#changed();
  }

  async #getRow(tenantId: string, triggerId: string): Promise<TriggerRow> {
    const row = typeof triggerId === "string" ? await this.#store.getTrigger(tenantId, triggerId) : undefined;
    if (!row) throw new NotFoundError("trigger", String(triggerId));
    return row;
  }
}

function isStoredType(type: string): boolean {
  return (TRIGGER_TYPES as readonly string[]).includes(type);
}

/** The part of a config that places the trigger in time: a change restarts the schedule. */
function timingOf(type: TriggerType, config: Record<string, unknown>): unknown {
  if (type === "schedule") return [config.cron, config.timezone ?? "UTC"];
  if (type === "condition") return [config.interval ?? null];
  return null;
}

function firstFireAt(type: TriggerType, config: Record<string, unknown>, now: number): number | null {
  if (type === "schedule") {
    const s = scheduleSettings(config);
    return nextFireTime({ cron: s.cron, timezone: s.timezone }, now);
  }
  // A new condition is checked at once; its first value is only recorded (no transition yet).
  if (type === "condition") return now;
  return null;
}

function definitionOwned(row: TriggerRow): ConflictError {
  return new ConflictError(`Trigger ${row.triggerId} is defined in workflow ${row.workflowId}'s definition; change the definition's triggers instead`, { triggerId: row.triggerId, source: "definition" });
}

export function toTrigger(row: TriggerRow): Trigger {
  let nextFireTimesShown: number[] = [];
  if (row.enabled && row.nextFireAt !== null) {
    if (row.type === "schedule") {
      const s = scheduleSettings(row.config);
      nextFireTimesShown = [row.nextFireAt, ...nextFireTimes({ cron: s.cron, timezone: s.timezone }, row.nextFireAt, SHOWN_FIRE_TIMES - 1)];
    } else if (row.type === "condition") {
      nextFireTimesShown = [row.nextFireAt];
    }
  }
  return {
    triggerId: row.triggerId,
    tenantId: row.tenantId,
    workflowId: row.workflowId,
    type: row.type,
    name: row.name,
    config: row.config,
    enabled: row.enabled,
    source: row.source,
    webhookPath: row.webhookPath,
    nextFireTimes: nextFireTimesShown,
    state: row.state,
    lastFiredAt: row.lastFiredAt,
    fireCount: row.fireCount,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
