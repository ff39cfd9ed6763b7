// Concurrency slots and memory / CPU reservations per tenant (SPEC F1: admission reservations).
// A reservation is released exactly once, whatever happens to the task that holds it.
import type { ResourceQuota, ResourceRequest } from "./tiers.js";

export interface TenantUsage {
  tasks: number;
  memoryMb: number;
  cpuPercent: number;
}

export interface Reservation {
  readonly tenantId: string;
  readonly request: Readonly<ResourceRequest>;
  /** Gives the slot and the reserved memory and CPU back; further calls do nothing. */
  release(): void;
}

export type ReservationRefusal = "concurrent" | "memory" | "cpu";

export class ResourceLedger {
  #usage = new Map<string, TenantUsage>();

  usage(tenantId: string): Readonly<TenantUsage> {
    return this.#usage.get(tenantId) ?? { tasks: 0, memoryMb: 0, cpuPercent: 0 };
  }

  /** Every tenant's current use (for metrics and status pages). */
  entries(): IterableIterator<[string, Readonly<TenantUsage>]> {
    return this.#usage.entries();
  }

  totalTasks(): number {
    let n = 0;
    for (const u of this.#usage.values()) n += u.tasks;
    return n;
  }

  /** Which quota a new reservation of `request` would pass, or undefined when it fits. */
  wouldRefuse(tenantId: string, quota: ResourceQuota, request: ResourceRequest): ReservationRefusal | undefined {
    const u = this.usage(tenantId);
    if (u.tasks + 1 > quota.maxConcurrentTasks) return "concurrent";
    if (u.memoryMb + request.memoryMb > quota.maxMemoryMb) return "memory";
    if (u.cpuPercent + request.cpuPercent > quota.maxCpuPercent) return "cpu";
    return undefined;
  }

  tryReserve(tenantId: string, quota: ResourceQuota, request: ResourceRequest): Reservation | ReservationRefusal {
    const refusal = this.wouldRefuse(tenantId, quota, request);
    if (refusal) return refusal;
    let u = this.#usage.get(tenantId);
    if (!u) {
      u = { tasks: 0, memoryMb: 0, cpuPercent: 0 };
      this.#usage.set(tenantId, u);
    }
    u.tasks += 1;
    u.memoryMb += request.memoryMb;
    u.cpuPercent += request.cpuPercent;
    const usage = u;
    let released = false;
    return {
      tenantId,
      request: { ...request },
      release: () => {
        if (released) return;
        released = true;
        usage.tasks -= 1;
        usage.memoryMb -= request.memoryMb;
        usage.cpuPercent -= request.cpuPercent;
        if (usage.tasks === 0 && this.#usage.get(tenantId) === usage) this.#usage.delete(tenantId);
      },
    };
  }
}
