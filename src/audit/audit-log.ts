// Writing and reading audit records. Writes go through a group committer: every record submitted
// while a commit is in flight joins the next one, so many concurrent calls share one transaction,
// and each caller's promise resolves only after its own record is committed.
import type { Clock } from "../core/clock.js";
import { newSortableId } from "../core/ids.js";
import type { AuditEntry, AuditRecordRow, ExecutionStatsDelta, Store } from "../store/store.js";
import { chainFor } from "./audit-actions.js";

/** An audit record as the library returns it (seed 000 `AuditLog`). */
export interface AuditLog {
  auditId: string;
  timestamp: Date;
  tenantId: string;
  action: string;
  componentId: string | null;
  userId: string | null;
  status: string;
  metadata: Record<string, unknown>;
}

export interface AuditInput {
  tenantId: string;
  action: string;
  status: string;
  componentId?: string | null;
  userId?: string | null;
  metadata?: Record<string, unknown>;
}

export function makeAuditEntry(clock: Clock, input: AuditInput): AuditEntry {
  const timestamp = clock.now();
  return {
    auditId: newSortableId(timestamp),
    tenantId: input.tenantId,
    timestamp,
    action: input.action,
    componentId: input.componentId ?? null,
    userId: input.userId ?? null,
    status: input.status,
    metadata: input.metadata ?? {},
    chain: chainFor(input.action),
  };
}

export function toAuditLog(row: AuditRecordRow): AuditLog {
  return {
    auditId: row.auditId,
    timestamp: new Date(row.timestamp),
    tenantId: row.tenantId,
    action: row.action,
    componentId: row.componentId,
    userId: row.userId,
    status: row.status,
    metadata: JSON.parse(row.metadataJson) as Record<string, unknown>,
  };
}

interface Pending {
  audit: AuditEntry[];
  stats: Map<string, ExecutionStatsDelta>;
  waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }>;
}

function emptyPending(): Pending {
  return { audit: [], stats: new Map(), waiters: [] };
}

export class GroupCommitter {
  #store: Store;
  #maxBatch: number;
  #pending: Pending = emptyPending();
  #inFlight: Promise<void> | undefined;
  #scheduled = false;

  constructor(store: Store, options: { maxBatch?: number } = {}) {
    this.#store = store;
    this.#maxBatch = options.maxBatch ?? 2000;
  }

  /** Resolves once the entry (and the optional statistics delta) is committed. */
  submit(entry: AuditEntry, stats?: ExecutionStatsDelta): Promise<void> {
    return new Promise((resolve, reject) => {
      const p = this.#pending;
      p.audit.push(entry);
      if (stats) {
        const sum = p.stats.get(stats.tenantId);
        if (sum) {
          sum.total += stats.total;
          sum.successful += stats.successful;
          sum.failed += stats.failed;
          sum.timeouts += stats.timeouts;
          sum.retries += stats.retries;
          sum.durationMs += stats.durationMs;
        } else {
          p.stats.set(stats.tenantId, { ...stats });
        }
      }
      p.waiters.push({ resolve, reject });
      this.#schedule();
    });
  }

  /** Waits until everything submitted so far is committed. */
  async drain(): Promise<void> {
    while (this.#inFlight || this.#pending.waiters.length > 0) {
      if (!this.#inFlight) this.#flush();
      await this.#inFlight?.catch(() => {});
    }
  }

  #schedule(): void {
    if (this.#scheduled || this.#inFlight) return;
    this.#scheduled = true;
    // Let every caller that is ready in this turn of the event loop join the batch.
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#inFlight) this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#pending;
    if (batch.waiters.length === 0) return;
    let taken: Pending = batch;
    if (batch.audit.length > this.#maxBatch) {
      // Only whole submissions move to the next batch; their stats stay with the first batch, which
      // is fine because stats are sums and the first batch commits first.
      taken = { audit: batch.audit.slice(0, this.#maxBatch), stats: batch.stats, waiters: batch.waiters.slice(0, this.#maxBatch) };
      this.#pending = { audit: batch.audit.slice(this.#maxBatch), stats: new Map(), waiters: batch.waiters.slice(this.#maxBatch) };
    } else {
      this.#pending = emptyPending();
    }
    this.#inFlight = this.#store
      .commitBatch({ audit: taken.audit, stats: [...taken.stats.values()] })
      .then(
        () => {
          for (const w of taken.waiters) w.resolve();
        },
        (error: unknown) => {
          for (const w of taken.waiters) w.reject(error);
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
        if (this.#pending.waiters.length > 0) this.#flush();
      });
  }
}
