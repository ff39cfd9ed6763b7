// Weighted fair share between tenants: which ready tasks one claim leases. Pure: the store hands
// in each tenant's best ready tasks (already in the tenant's own order), what each tenant holds
// leased on every node, and its limits; this picks up to `limit` tasks.
import type { LeaseUsage, TaskRequest, TenantLimits } from "./admission.js";
import { addLease, admits, emptyUsage } from "./admission.js";
import type { VirtualTime } from "./virtual-time.js";

export interface Candidate extends TaskRequest {
  taskId: string;
  tenantId: string;
  executionId: string;
  /** The execution's first task waiting for its workflow concurrency key (see gateKey). */
  gate?: { key: string; limit: number };
  priority: number;
  readyAt: number;
  seq: number;
}

/**
 * Repeatedly gives the next lease to the tenant that holds the fewest leases per unit of weight
 * (its running tasks divided by its tier weight), counting the leases this claim already gave.
 * Ties go to the tenant served least recently on this node (`time`), then to the better head task
 * (priority, then ready time, then sequence). A tenant whose next
 * task does not fit its quota takes nothing more in this claim: its tasks keep their order, and
 * a large task is not overtaken for ever by small ones behind it.
 */
export function pickFair(
  candidates: readonly Candidate[],
  usage: ReadonlyMap<string, LeaseUsage>,
  limits: (tenantId: string) => TenantLimits,
  limit: number,
  time: VirtualTime,
  holders: ReadonlyMap<string, number> = new Map(),
): Candidate[] {
  // Executions running per concurrency key, plus those this claim starts.
  const held = new Map(holders);
  const admitted = new Set<string>();
  const gateOpen = (c: Candidate) => !c.gate || admitted.has(c.executionId) || (held.get(gateKey(c.tenantId, c.gate.key)) ?? 0) < c.gate.limit;
  const queues = new Map<string, { tasks: Candidate[]; next: number; usage: LeaseUsage; limits: TenantLimits }>();
  for (const c of candidates) {
    let q = queues.get(c.tenantId);
    if (!q) {
      q = { tasks: [], next: 0, usage: { ...(usage.get(c.tenantId) ?? emptyUsage()) }, limits: limits(c.tenantId) };
      queues.set(c.tenantId, q);
    }
    q.tasks.push(c);
  }
  const picked: Candidate[] = [];
  while (picked.length < limit && queues.size > 0) {
    let best: { tenantId: string; share: number; pass: number; head: Candidate } | undefined;
    for (const [tenantId, q] of queues) {
      // A task whose key is held by enough running executions waits; the tenant's other work does not.
      while (q.tasks[q.next] && !gateOpen(q.tasks[q.next] as Candidate)) q.next += 1;
      const head = q.tasks[q.next];
      if (!head || !admits(q.limits, q.usage, head)) {
        queues.delete(tenantId);
        continue;
      }
      const share = q.usage.tasks / q.limits.weight;
      const pass = time.pass(tenantId);
      if (!best || share < best.share || (share === best.share && (pass < best.pass || (pass === best.pass && before(head, best.head))))) best = { tenantId, share, pass, head };
    }
    if (!best) break;
    const q = queues.get(best.tenantId);
    if (!q) break;
    picked.push(best.head);
    addLease(q.usage, best.head);
    const gate = best.head.gate;
    if (gate && !admitted.has(best.head.executionId)) {
      const key = gateKey(best.tenantId, gate.key);
      held.set(key, (held.get(key) ?? 0) + 1);
      admitted.add(best.head.executionId);
    }
    time.charge(best.tenantId, q.limits.weight);
    q.next += 1;
  }
  return picked;
}

/** Concurrency keys are per tenant. */
export function gateKey(tenantId: string, key: string): string {
  return `${tenantId}\u0000${key}`;
}

function before(a: Candidate, b: Candidate): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.readyAt !== b.readyAt) return a.readyAt < b.readyAt;
  return a.seq < b.seq;
}
