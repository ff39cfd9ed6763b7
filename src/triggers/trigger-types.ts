// The shared shapes of the trigger parts: what a trigger looks like to callers, the events the
// runners emit, and the narrow door through which every kind of trigger starts a workflow.
import { EventEmitter } from "node:events";
import type { PreparedStart } from "../engine/execution-service.js";
import type { FireToRecord, FireStatus, RecordedFire, TriggerRow, TriggerSource, TriggerType } from "../store/trigger-store.js";

export type { FireStatus, TriggerSource, TriggerType } from "../store/trigger-store.js";

/** A trigger as the library (and the REST API) shows it. */
export interface Trigger {
  triggerId: string;
  tenantId: string;
  workflowId: string;
  type: TriggerType;
  name: string;
  config: Record<string, unknown>;
  enabled: boolean;
  source: TriggerSource;
  /** Webhook triggers: the path served at `/hooks/<tenant>/<path>`. */
  webhookPath: string | null;
  /** Schedule triggers: the next fire times (epoch ms, up to 5); condition triggers: the next check. */
  nextFireTimes: number[];
  /** A condition trigger's last value and error; empty for the other types. */
  state: Record<string, unknown>;
  lastFiredAt: number | null;
  fireCount: number;
  createdAt: number;
  updatedAt: number;
}

export interface CreateTriggerInput {
  workflowId: string;
  type: TriggerType;
  name?: string;
  config: Record<string, unknown>;
  /** Default true. */
  enabled?: boolean;
}

export interface UpdateTriggerInput {
  name?: string;
  config?: Record<string, unknown>;
  enabled?: boolean;
}

/** Starts workflows on behalf of triggers; built by the orchestrator over its tenant, quota and execution services. */
export interface TriggerStarter {
  /** One admission of the tenant's per-second rate limit (SPEC D): throws RateLimitedError or TenantInactive. */
  admit(tenantId: string): Promise<void>;
  /**
   * Starts the workflow when it is `active` (ConflictError otherwise); the same idempotency key
   * gives the same execution, so a fire retried by another node or after a restart starts once.
   */
  start(tenantId: string, workflowId: string, input: Record<string, unknown>, idempotencyKey: string): Promise<{ executionId: string; created: boolean }>;
  /**
   * Admits and checks several starts as `admit` then `start` do, and builds them without writing;
   * each settles on its own (a refusal is that start's rejection). A workflow is read once for all.
   */
  prepareStarts(starts: StartRequest[]): Promise<Array<PromiseSettledResult<PreparedStart>>>;
  /**
   * Records fires in one store transaction with the executions they start (TriggerStore.recordFires),
   * then tells the engine of the executions committed.
   */
  commitFires(fires: FireToCommit[]): Promise<RecordedFire[]>;
}

export interface StartRequest {
  tenantId: string;
  workflowId: string;
  input: Record<string, unknown>;
  idempotencyKey: string;
}

export type FireToCommit = Omit<FireToRecord, "start"> & { start?: PreparedStart };

export interface TriggerFiredEvent {
  tenantId: string;
  triggerId: string;
  type: TriggerType;
  status: FireStatus;
  executionId: string | null;
  /** Schedule: the scheduled time; other types: when the fire happened. */
  scheduledAt: number;
  firedAt: number;
  error: string | null;
}

export interface TriggerEventMap {
  /** After a fire is committed (or refused), on the node that handled it. */
  "trigger.fired": [TriggerFiredEvent];
  /** A condition trigger was checked (fired or not). */
  "trigger.checked": [{ tenantId: string; triggerId: string; value: boolean | null; error: string | null }];
}

export class TriggerEvents extends EventEmitter<TriggerEventMap> {
  constructor() {
    super();
    this.setMaxListeners(0);
  }
}

export function rowTypeIsTimed(row: TriggerRow): boolean {
  return row.type === "schedule" || row.type === "condition";
}
