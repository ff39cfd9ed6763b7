// The storage contract of triggers and diagnosis strategies, in domain verbs. Fires are claimed by
// compare-and-set on the trigger's `next_fire_at`, so nodes sharing one database record each
// (trigger, scheduled time) once; every change that a person makes carries its audit records.
import type { AuditEntry } from "./audit-types.js";
import type { CreatedExecution, LeaseOffer, NewExecution } from "./engine-store.js";

export type TriggerType = "schedule" | "webhook" | "event" | "condition";
/** `definition`: written in the workflow's `triggers:` (follows its versions); `api`: created by a call. */
export type TriggerSource = "api" | "definition";

export interface TriggerRow {
  tenantId: string;
  triggerId: string;
  workflowId: string;
  type: TriggerType;
  name: string;
  config: Record<string, unknown>;
  enabled: boolean;
  source: TriggerSource;
  /** Webhook triggers: the path under `/hooks/<tenant>/`, unique per tenant. */
  webhookPath: string | null;
  /** Schedule: the next scheduled time not yet fired; condition: the next check. Null otherwise. */
  nextFireAt: number | null;
  /** Per-type state (a condition's last value); changed only by compare-and-set on `stateVersion`. */
  state: Record<string, unknown>;
  stateVersion: number;
  lastFiredAt: number | null;
  fireCount: number;
  createdAt: number;
  updatedAt: number;
}

export type TriggerPatch = Partial<Pick<TriggerRow, "name" | "config" | "enabled" | "webhookPath" | "nextFireAt" | "workflowId">> & { updatedAt: number };

export type FireStatus = "started" | "duplicate" | "skipped" | "refused" | "failed";

export interface TriggerFireRow {
  triggerId: string;
  tenantId: string;
  /** The time the schedule named (the unique key with the trigger). */
  scheduledAt: number;
  /** When the node handled it (after the execution was committed). */
  firedAt: number;
  nodeId: string;
  executionId: string | null;
  status: FireStatus;
  error: string | null;
  /** Missed scheduled times this fire stood for (catch-up `latest` fires one for many). */
  skipped: number;
}

/** One fire of a batch (recordFires): the compare-and-set of its trigger's time, and what it records. */
export interface FireToRecord {
  /** The fire row. With `start`, its `executionId` and `status` are filled in by the store. */
  fire: TriggerFireRow;
  /** The trigger's `next_fire_at` this fire claims. */
  expected: number;
  next: number | null;
  /** False: only the time moves on (a fire passed over while the workflow is not active leaves no row). */
  keepRecord: boolean;
  /** The execution this fire starts, committed with the fire. */
  start?: NewExecution;
}

export type RecordedFire =
  /** `recorded: false`: another node moved the trigger's time first, nothing was written for it. */
  | { ok: true; recorded: boolean; fire: TriggerFireRow; created?: CreatedExecution }
  /** This fire could not be written (the others of its batch were); its time stays due. */
  | { ok: false; error: unknown };

export interface StrategyRow {
  tenantId: string;
  strategyId: string;
  name: string;
  category: string;
  symptoms: unknown[];
  workflowId: string;
  priority: number;
  enabled: boolean;
  /** `{ windowMs, key: string[] }` */
  dedup: { windowMs: number; key: string[] };
  createdAt: number;
  updatedAt: number;
}

export type StrategyPatch = Partial<Omit<StrategyRow, "tenantId" | "strategyId" | "createdAt">> & { updatedAt: number };

export interface TriggerStore {
  /** Inserts the trigger; `path_taken` (nothing written) when the tenant already has its webhook path, `exists` for its id. */
  insertTrigger(row: TriggerRow, audit: AuditEntry[]): Promise<"inserted" | "path_taken" | "exists">;
  getTrigger(tenantId: string, triggerId: string): Promise<TriggerRow | undefined>;
  listTriggers(tenantId: string, filter?: { workflowId?: string; type?: TriggerType }): Promise<TriggerRow[]>;
  /** Reads the trigger, applies the patch `change` computes from it (undefined: no change) with its audit records. */
  updateTrigger(tenantId: string, triggerId: string, change: (before: TriggerRow) => { patch: TriggerPatch; audit: AuditEntry[] }): Promise<TriggerRow | "path_taken" | undefined>;
  deleteTrigger(tenantId: string, triggerId: string, audit: AuditEntry[]): Promise<boolean>;
  /**
   * Replaces a workflow's definition triggers with `rows` in one transaction: rows whose id exists
   * are updated (their `nextFireAt` and state kept unless `resetSchedule`), the others inserted,
   * definition triggers not in `rows` deleted. `path_taken` names a webhook path another trigger holds.
   */
  syncDefinitionTriggers(tenantId: string, workflowId: string, rows: Array<TriggerRow & { resetSchedule: boolean }>, audit: AuditEntry[]): Promise<{ ok: true } | { ok: false; pathTaken: string }>;
  findWebhookTrigger(tenantId: string, path: string): Promise<TriggerRow | undefined>;
  /** Enabled event triggers of the tenant. */
  listEventTriggers(tenantId: string): Promise<TriggerRow[]>;
  /** Enabled schedule and condition triggers due by `now`, over all active tenants (not suspended or deleted), earliest first. */
  dueTriggers(now: number, limit: number): Promise<TriggerRow[]>;
  /** The earliest `next_fire_at` of an enabled trigger of an active tenant, to sleep exactly until then. */
  nextTriggerTime(): Promise<number | undefined>;
  /**
   * Sets the `next_fire_at` of the tenant's enabled schedule and condition triggers to what
   * `nextFireAt` computes from each (a tenant resumed: its time suspended is not missed time).
   * Answers how many were set.
   */
  restartTimedTriggers(tenantId: string, nextFireAt: (row: TriggerRow) => number | null): Promise<number>;
  /**
   * Records the fires of one instant together: one transaction moves each fire's trigger on by
   * compare-and-set and, for each it won, starts the fire's execution (its idempotency key finds
   * an earlier one: status `duplicate`) and inserts the fire row. Should that transaction fail, each
   * fire is tried alone, so one fire's failure does not stop the others. Answers in input order;
   * `offer` leases first steps to this node as createExecution does.
   */
  recordFires(fires: FireToRecord[], offer?: LeaseOffer): Promise<RecordedFire[]>;
  /** Compare-and-set of a condition's check time (no fire row): true when this node won the check. */
  claimCheck(tenantId: string, triggerId: string, expected: number, next: number): Promise<boolean>;
  /** Compare-and-set of the trigger's state; false when `stateVersion` moved on. */
  setTriggerState(tenantId: string, triggerId: string, expectedVersion: number, state: Record<string, unknown>, firedAt?: number): Promise<boolean>;
  /** A trigger's fires, newest scheduled time first. */
  listFires(tenantId: string, triggerId: string, limit?: number): Promise<TriggerFireRow[]>;

  insertStrategy(row: StrategyRow, audit: AuditEntry[]): Promise<boolean>;
  getStrategy(tenantId: string, strategyId: string): Promise<StrategyRow | undefined>;
  listStrategies(tenantId: string): Promise<StrategyRow[]>;
  updateStrategy(tenantId: string, strategyId: string, change: (before: StrategyRow) => { patch: StrategyPatch; audit: AuditEntry[] }): Promise<StrategyRow | undefined>;
  deleteStrategy(tenantId: string, strategyId: string, audit: AuditEntry[]): Promise<boolean>;
  /**
   * Opens a de-duplication window for (strategy, fingerprint) unless one opened within `windowMs`
   * before `now` is still open: `{ claimed: true, runKey }` for the one run of the window, else
   * `{ claimed: false, runKey }` of the open window (its suppressed count raised).
   */
  claimStrategyRun(tenantId: string, strategyId: string, fingerprint: string, now: number, windowMs: number): Promise<{ claimed: boolean; runKey: string }>;
}
