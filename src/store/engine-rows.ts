// The engine's hottest statements (a step's completion and the next step's lease), written once
// per dialect without the query builder: SQLite runs prepared statements, PostgreSQL one statement
// per kind for a whole group commit. Every call runs inside the store's write transaction.
import type { Kysely } from "kysely";
import type { LeaseUsage } from "../scheduling/admission.js";
import type { ExecutionRow, ExecutionSnapshot, StepRow } from "./engine-store.js";
import type { AuditEntry } from "./audit-types.js";
import type { Database, ExecutionLogsTable, TasksTable } from "./schema.js";

/** What the lease of a task a commit deleted held: its tenant's slot, memory and CPU, until `leaseExpiresAt`. */
export interface ReleasedLease {
  tenantId: string;
  memoryMb: number;
  cpuPercent: number;
  leaseExpiresAt: number;
}

export interface EngineRows {
  /**
   * The start of a group commit: deletes the tasks this node still holds with these fences (the
   * rest were taken over) and loads the snapshots of their executions (as loadSnapshots), in as
   * few round trips as the dialect allows. Each deleted task comes back with the lease it held, so
   * the commit can hand that slot to a step it makes ready (see LeaseAdmission).
   */
  takeLeased(
    trx: Kysely<Database>,
    nodeId: string,
    tasks: ReadonlyArray<{ taskId: string; fence: number; executionId: string }>,
  ): Promise<{ deleted: Map<string, ReleasedLease>; snapshots: Map<string, ExecutionSnapshot> }>;
  /** Loads executions (locked on PostgreSQL, in id order) with their steps and queued step ids. */
  loadSnapshots(trx: Kysely<Database>, executionIds: readonly string[]): Promise<Map<string, ExecutionSnapshot>>;
  insertSteps(trx: Kysely<Database>, rows: readonly StepRow[]): Promise<void>;
  /**
   * Everything a transaction gathered, at once: every mutable column of the changed step rows and
   * executions (read under the transaction's lock), new tasks and log lines (PostgreSQL: one statement).
   */
  writeAll(trx: Kysely<Database>, rows: PendingRows): Promise<void>;
  /** What each tenant's tasks hold leased at `now`, on every node (expired leases hold nothing). */
  leaseUsage(trx: Kysely<Database>, tenantIds: readonly string[], now: number): Promise<Map<string, LeaseUsage>>;
  /**
   * Serialises admissions of these tenants across nodes until the transaction ends (PostgreSQL
   * advisory locks; SQLite's writer lock already does). `wait: false` takes them only if free now
   * and says whether it did: a commit must never wait on a claim that may wait on its rows.
   */
  lockTenants(trx: Kysely<Database>, tenantIds: readonly string[], wait: boolean): Promise<boolean>;
  /**
   * Called inside the transaction that wrote these snapshots, just before it commits: a dialect
   * may keep them to skip the next load (SQLite does, while no other connection writes).
   */
  remember(snapshots: Iterable<ExecutionSnapshot>): void;
  /** Drops what `remember` kept: after a failed transaction, or a write to these tables that bypassed the engine store. */
  forget(executionIds?: Iterable<string>): void;
}

/** Collects one transaction's row writes so each kind goes to the database once, at the end. */
export class PendingRows {
  readonly steps = new Set<StepRow>();
  readonly executions = new Set<ExecutionRow>();
  tasks: TasksTable[] = [];
  readonly logs: ExecutionLogsTable[] = [];
  /** Audit entries, appended by the store once per chain (one head lock and one insert for a batch). */
  readonly audit: AuditEntry[] = [];

  get empty(): boolean {
    return this.steps.size === 0 && this.executions.size === 0 && this.tasks.length === 0 && this.logs.length === 0;
  }

  async flush(rows: EngineRows, trx: Kysely<Database>): Promise<void> {
    if (!this.empty) await rows.writeAll(trx, this);
  }
}
