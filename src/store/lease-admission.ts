// Admission of the leases one commit gives (claim-on-commit): a new ready task is leased to the
// committing node only if its tenant's quota still has room, counted over every node's leases
// plus what this transaction already leased. Usage is read once per tenant per transaction, under
// the tenant's admission lock (taken first, before any row lock, so admissions never deadlock).
import type { Kysely } from "kysely";
import type { LeaseUsage, TaskRequest } from "../scheduling/admission.js";
import { addLease, admits } from "../scheduling/admission.js";
import { gateKey } from "../scheduling/fair-share.js";
import type { EngineRows } from "./engine-rows.js";
import type { Database } from "./schema.js";
import type { TenantLimitsCache } from "./tenant-limits.js";
import type { VirtualTime } from "../scheduling/virtual-time.js";

export class LeaseAdmission {
  /** null: the tenant was not locked; nothing of it is leased in this transaction. */
  #usage = new Map<string, LeaseUsage | null>();
  #rows: EngineRows;
  #limits: TenantLimitsCache;
  #trx: Kysely<Database>;
  #now: number;

  #time: VirtualTime;

  #locked: ReadonlySet<string>;

  constructor(rows: EngineRows, limits: TenantLimitsCache, time: VirtualTime, trx: Kysely<Database>, now: number, locked: ReadonlySet<string>) {
    this.#locked = locked;
    this.#time = time;
    this.#rows = rows;
    this.#limits = limits;
    this.#trx = trx;
    this.#now = now;
  }

  #keys = new Map<string, number>();
  #holding = new Set<string>();

  /** Whether this transaction already started the execution under its concurrency key. */
  holdsKey(executionId: string): boolean {
    return this.#holding.has(executionId);
  }

  /** Whether fewer than `limit` executions of the tenant run with `key` (under the tenant's lock). */
  async keyOpen(tenantId: string, key: string, limit: number): Promise<boolean> {
    if (!this.#locked.has(tenantId)) return false;
    const id = gateKey(tenantId, key);
    let n = this.#keys.get(id);
    if (n === undefined) {
      const row = await this.#trx
        .selectFrom("executions")
        .select((eb) => eb.fn.countAll().as("n"))
        .where("tenant_id", "=", tenantId)
        .where("concurrency_key", "=", key)
        .where("status", "in", ["running", "paused"])
        .executeTakeFirst();
      n = Number(row?.n ?? 0);
      this.#keys.set(id, n);
    }
    return n < limit;
  }

  takeKey(tenantId: string, executionId: string, key: string): void {
    const id = gateKey(tenantId, key);
    this.#keys.set(id, (this.#keys.get(id) ?? 0) + 1);
    this.#holding.add(executionId);
  }

  /** Admits one lease of `request` for the tenant and counts it, or refuses and counts nothing. */
  async admit(tenantId: string, request: TaskRequest): Promise<boolean> {
    const limits = (await this.#limits.load(this.#trx, [tenantId])).get(tenantId);
    // Nothing bounds a tenant without a quota: no need to count its leases.
    if (!limits?.quota) return true;
    let usage = this.#usage.get(tenantId);
    if (usage === undefined) {
      // Counted under the tenant's admission lock, taken at the start of the transaction. A
      // tenant the transaction did not lock (a caller that did not name it) leases nothing here.
      usage = this.#locked.has(tenantId) ? ((await this.#rows.leaseUsage(this.#trx, [tenantId], this.#now)).get(tenantId) ?? { tasks: 0, memoryMb: 0, cpuPercent: 0 }) : null;
      this.#usage.set(tenantId, usage);
    }
    if (usage === null || !admits(limits, usage, request)) return false;
    // A lease on commit is service like a claimed one: it counts for the next claim's ties.
    this.#time.charge(tenantId, limits.weight);
    addLease(usage, request);
    return true;
  }
}
