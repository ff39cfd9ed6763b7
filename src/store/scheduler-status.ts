// What the scheduler sees across all nodes, read from the tasks and executions tables: queues per
// tenant, live leases per node, and concurrency keys with their holders and waiters. Read-only,
// for status pages (`/api/v1/scheduler/status`) and operators.
import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Database } from "./schema.js";

export interface TenantQueue {
  tenantId: string;
  /** Due and unleased (or leased by a node whose lease expired): waiting for a slot. */
  ready: number;
  /** Leased now, on any node. */
  running: number;
  /** Due later: retry backoffs, waits, approval checks. They hold nothing. */
  timed: number;
  /** Of `ready`, how many wait for a worker pool (`runs_on`). */
  readyInPools: number;
}

export interface NodeLeases {
  nodeId: string;
  tasks: number;
  memoryMb: number;
  cpuPercent: number;
}

export interface ConcurrencyKeyStatus {
  tenantId: string;
  key: string;
  /** Executions holding the key (running or paused). */
  holders: number;
  /** Executions waiting for it (pending). */
  waiting: number;
}

export interface SchedulerSnapshot {
  queues: TenantQueue[];
  leases: NodeLeases[];
  concurrencyKeys: ConcurrencyKeyStatus[];
}

export async function readSchedulerSnapshot(db: Kysely<Database>, now: number, tenantId?: string): Promise<SchedulerSnapshot> {
  const tenant = tenantId === undefined ? sql`TRUE` : sql`tenant_id = ${tenantId}`;
  const live = sql`lease_owner IS NOT NULL AND lease_expires_at > ${now}`;
  const queues = await sql<{ tenant_id: string; ready: number; running: number; timed: number; pooled: number }>`
    SELECT tenant_id,
      SUM(CASE WHEN NOT (${live}) AND ready_at <= ${now} THEN 1 ELSE 0 END) AS ready,
      SUM(CASE WHEN ${live} THEN 1 ELSE 0 END) AS running,
      SUM(CASE WHEN lease_owner IS NULL AND ready_at > ${now} THEN 1 ELSE 0 END) AS timed,
      SUM(CASE WHEN NOT (${live}) AND ready_at <= ${now} AND pool IS NOT NULL THEN 1 ELSE 0 END) AS pooled
    FROM tasks WHERE ${tenant} GROUP BY tenant_id ORDER BY tenant_id`.execute(db);
  const leases = await sql<{ lease_owner: string; tasks: number; memory_mb: number; cpu_percent: number }>`
    SELECT lease_owner, COUNT(*) AS tasks, SUM(memory_mb) AS memory_mb, SUM(cpu_percent) AS cpu_percent
    FROM tasks WHERE ${live} AND ${tenant} GROUP BY lease_owner ORDER BY lease_owner`.execute(db);
  const keys = await sql<{ tenant_id: string; concurrency_key: string; holders: number; waiting: number }>`
    SELECT tenant_id, concurrency_key,
      SUM(CASE WHEN status IN ('running', 'paused') THEN 1 ELSE 0 END) AS holders,
      SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END) AS waiting
    FROM executions WHERE concurrency_key IS NOT NULL AND status IN ('pending', 'running', 'paused') AND ${tenant}
    GROUP BY tenant_id, concurrency_key ORDER BY tenant_id, concurrency_key`.execute(db);
  return {
    queues: queues.rows.map((r) => ({ tenantId: r.tenant_id, ready: Number(r.ready), running: Number(r.running), timed: Number(r.timed), readyInPools: Number(r.pooled) })),
    leases: leases.rows.map((r) => ({ nodeId: r.lease_owner, tasks: Number(r.tasks), memoryMb: Number(r.memory_mb), cpuPercent: Number(r.cpu_percent) })),
    concurrencyKeys: keys.rows.map((r) => ({ tenantId: r.tenant_id, key: r.concurrency_key, holders: Number(r.holders), waiting: Number(r.waiting) })),
  };
}
