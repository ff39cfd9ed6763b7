// Admission of the leases one commit gives (claim-on-commit): a new ready task is leased to the
// committing node only if its tenant's quota still has room, counted over every node's leases
// plus what this transaction already leased. Usage is read once per tenant per transaction, under
// the tenant's admission lock: taken first, before any row lock, by starts and control calls, or
// tried without waiting by a completion's commit, so admissions never deadlock. A completion that
// makes its tenant's next step ready hands its own slot over instead, with no count and no lock.
import type { Kysely } from "kysely";
import type { LeaseUsage, TaskRequest } from "../scheduling/admission.js";
import { addLease, admits, emptyUsage } from "../scheduling/admission.js";
import { gateKey } from "../scheduling/fair-share.js";
import type { EngineRows, ReleasedLease } from "./engine-rows.js";
import type { Database } from "./schema.js";
import type { TenantLimitsCache } from "./tenant-limits.js";
import type { VirtualTime } from "../scheduling/virtual-time.js";

export interface LeaseAdmissionOptions {
  /** Tenants whose admission locks the transaction took before any row lock. */
  locked: Iterable<string>;
  /**
   * Leases the transaction ended (tasks of completed attempts). A step of the same tenant may take
   * over one of these slots without a count (a hand-over): see admit.
   */
  released?: Iterable<ReleasedLease>;
  /**
   * Whether admit may take the admission lock of a tenant that is not locked yet, without waiting
   * (a commit must never wait on a claim that may wait on its rows). Refused when it is busy.
   */
  tryLock?: boolean;
}

export class LeaseAdmission {
  /** null: the tenant's lock is not held; nothing of it is leased in this transaction but hand-overs. */
  #usage = new Map<string, LeaseUsage | null>();
  #rows: EngineRows;
  #limits: TenantLimitsCache;
  #trx: Kysely<Database>;
  #now: number;
  #time: VirtualTime;
  #locked: Set<string>;
  #tryLock: boolean;
  /** Per tenant: released slots not handed over yet, and what the hand-overs gave. */
  #released = new Map<string, TaskRequest[]>();
  #handedOver = new Map<string, LeaseUsage>();

  constructor(rows: EngineRows, limits: TenantLimitsCache, time: VirtualTime, trx: Kysely<Database>, now: number, options: LeaseAdmissionOptions) {
    this.#locked = new Set(options.locked);
    this.#tryLock = options.tryLock ?? false;
    // A lease that had expired before its commit already counts for nothing on other nodes (their
    // admissions may have filled its slot): it cannot be handed over.
    for (const lease of options.released ?? []) {
      if (lease.leaseExpiresAt <= now) continue;
      const slots = this.#released.get(lease.tenantId) ?? [];
      slots.push({ memoryMb: lease.memoryMb, cpuPercent: lease.cpuPercent });
      this.#released.set(lease.tenantId, slots);
    }
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
    if (!(await this.#lock(tenantId))) return false;
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

  /**
   * Admits one lease of `request` for the tenant and counts it, or refuses and counts nothing.
   *
   * A hand-over needs no count and no lock: a slot this transaction released (a completed step of
   * the same tenant, whose lease was still live) that holds at least the request's memory and CPU
   * passes to the new lease, so the tenant's leases, memory and CPU do not grow, whatever other
   * nodes admit meanwhile. Otherwise the tenant's usage is counted under its admission lock.
   */
  async admit(tenantId: string, request: TaskRequest): Promise<boolean> {
    const limits = (await this.#limits.load(this.#trx, [tenantId])).get(tenantId);
    // Nothing bounds a tenant without a quota: no need to count its leases.
    if (!limits?.quota) return true;
    let usage = this.#usage.get(tenantId);
    if (usage === undefined && this.#handOver(tenantId, request)) {
      this.#time.charge(tenantId, limits.weight);
      return true;
    }
    if (usage === undefined) {
      usage = (await this.#lock(tenantId)) ? await this.#count(tenantId) : null;
      this.#usage.set(tenantId, usage);
    }
    if (usage === null || !admits(limits, usage, request)) return false;
    // A lease on commit is service like a claimed one: it counts for the next claim's ties.
    this.#time.charge(tenantId, limits.weight);
    addLease(usage, request);
    return true;
  }

  #handOver(tenantId: string, request: TaskRequest): boolean {
    const slots = this.#released.get(tenantId);
    const i = slots?.findIndex((slot) => slot.memoryMb >= request.memoryMb && slot.cpuPercent >= request.cpuPercent) ?? -1;
    if (!slots || i < 0) return false;
    slots.splice(i, 1);
    const given = this.#handedOver.get(tenantId) ?? emptyUsage();
    addLease(given, request);
    this.#handedOver.set(tenantId, given);
    return true;
  }

  async #lock(tenantId: string): Promise<boolean> {
    if (this.#locked.has(tenantId)) return true;
    if (!this.#tryLock || !(await this.#rows.lockTenants(this.#trx, [tenantId], false))) return false;
    this.#locked.add(tenantId);
    return true;
  }

  /**
   * The tenant's leases on every node, read under its lock, plus the hand-overs of this
   * transaction (written at its end, so not in the table yet). Its released slots are deleted rows
   * already, so they count for nothing.
   */
  async #count(tenantId: string): Promise<LeaseUsage> {
    const usage = (await this.#rows.leaseUsage(this.#trx, [tenantId], this.#now)).get(tenantId) ?? emptyUsage();
    const given = this.#handedOver.get(tenantId);
    if (given) {
      usage.tasks += given.tasks;
      usage.memoryMb += given.memoryMb;
      usage.cpuPercent += given.cpuPercent;
    }
    return usage;
  }
}
