// Tenant admission of a lease: whether one more task fits the tenant's concurrency, memory and CPU
// quota, given what the tenant's tasks hold leased right now across every node (SPEC F1, D).

/** The scheduling view of a tenant: its fair-share weight and the quota that bounds its leases. */
export interface TenantLimits {
  weight: number;
  /** Undefined: no row in the tenants table (only direct store users): nothing bounds it. */
  quota: { maxConcurrentTasks: number; maxMemoryMb: number; maxCpuPercent: number } | undefined;
}

/** What a tenant's leased tasks hold now, counted from the tasks table (all nodes). */
export interface LeaseUsage {
  tasks: number;
  memoryMb: number;
  cpuPercent: number;
}

/** What one task reserves while it is leased. */
export interface TaskRequest {
  memoryMb: number;
  cpuPercent: number;
}

export function emptyUsage(): LeaseUsage {
  return { tasks: 0, memoryMb: 0, cpuPercent: 0 };
}

/**
 * Whether a lease of `request` fits. A tenant that holds nothing is always admitted one task, so a
 * step that asks for more than the whole quota runs alone rather than never.
 */
export function admits(limits: TenantLimits, usage: LeaseUsage, request: TaskRequest): boolean {
  const quota = limits.quota;
  if (!quota || usage.tasks === 0) return true;
  return usage.tasks + 1 <= quota.maxConcurrentTasks && usage.memoryMb + request.memoryMb <= quota.maxMemoryMb && usage.cpuPercent + request.cpuPercent <= quota.maxCpuPercent;
}

export function addLease(usage: LeaseUsage, request: TaskRequest): void {
  usage.tasks += 1;
  usage.memoryMb += request.memoryMb;
  usage.cpuPercent += request.cpuPercent;
}
