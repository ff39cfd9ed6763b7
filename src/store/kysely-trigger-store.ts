// The TriggerStore contract on Kysely for both dialects. Claims are compare-and-set updates whose
// affected-row count says who won, so no lock is held between nodes; every verb is one transaction.
import type { ExpressionBuilder, Kysely, RawBuilder } from "kysely";
import { sql } from "kysely";
import { appendAudit } from "./audit-append.js";
import type { AuditEntry, AuditSealer } from "./audit-types.js";
import type { DialectAdapter } from "./dialect-adapter.js";
import type { LeaseOffer } from "./engine-store.js";
import type { CreateWithin, KyselyEngineStore } from "./kysely-engine-store.js";
import type { Database, StrategiesTable, TriggerFiresTable, TriggersTable } from "./schema.js";
import type { FireToRecord, RecordedFire, StrategyPatch, StrategyRow, TriggerFireRow, TriggerPatch, TriggerRow, TriggerStore, TriggerType } from "./trigger-store.js";

const TIMED_TYPES = ["schedule", "condition"];

export class KyselyTriggerStore implements TriggerStore {
  #adapter: DialectAdapter;
  #db: Kysely<Database>;
  #sealer: AuditSealer;
  #engine: Pick<KyselyEngineStore, "writeWithStarts">;

  /** `engine` starts the executions of fires in the transaction that records them. */
  constructor(adapter: DialectAdapter, sealer: AuditSealer, engine: Pick<KyselyEngineStore, "writeWithStarts">) {
    this.#adapter = adapter;
    this.#db = adapter.db;
    this.#sealer = sealer;
    this.#engine = engine;
  }

  // --- triggers ----------------------------------------------------------------------------

  async insertTrigger(row: TriggerRow, audit: AuditEntry[]): Promise<"inserted" | "path_taken" | "exists"> {
    return this.#adapter.write(async (trx) => {
      if (await pathTaken(trx, row.tenantId, row.webhookPath, row.triggerId)) return "path_taken";
      const inserted = await trx.insertInto("triggers").values(triggerToRow(row)).onConflict((oc) => oc.columns(["tenant_id", "trigger_id"]).doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return "exists";
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return "inserted";
    });
  }

  async getTrigger(tenantId: string, triggerId: string): Promise<TriggerRow | undefined> {
    const row = await this.#db.selectFrom("triggers").selectAll().where("tenant_id", "=", tenantId).where("trigger_id", "=", triggerId).executeTakeFirst();
    return row ? rowToTrigger(row) : undefined;
  }

  async listTriggers(tenantId: string, filter: { workflowId?: string; type?: TriggerType } = {}): Promise<TriggerRow[]> {
    let q = this.#db.selectFrom("triggers").selectAll().where("tenant_id", "=", tenantId);
    if (filter.workflowId !== undefined) q = q.where("workflow_id", "=", filter.workflowId);
    if (filter.type !== undefined) q = q.where("type", "=", filter.type);
    return (await q.orderBy("created_at").orderBy("trigger_id").execute()).map(rowToTrigger);
  }

  async updateTrigger(tenantId: string, triggerId: string, change: (before: TriggerRow) => { patch: TriggerPatch; audit: AuditEntry[] }): Promise<TriggerRow | "path_taken" | undefined> {
    return this.#adapter.write(async (trx) => {
      let q = trx.selectFrom("triggers").selectAll().where("tenant_id", "=", tenantId).where("trigger_id", "=", triggerId);
      if (this.#adapter.lockRows) q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row) return undefined;
      const before = rowToTrigger(row);
      const { patch, audit } = change(before);
      const after: TriggerRow = { ...before, ...patch };
      if (after.webhookPath !== before.webhookPath && (await pathTaken(trx, tenantId, after.webhookPath, triggerId))) return "path_taken";
      const values = triggerToRow(after);
      await trx
        .updateTable("triggers")
        .set({ workflow_id: values.workflow_id, name: values.name, config: values.config, enabled: values.enabled, webhook_path: values.webhook_path, next_fire_at: values.next_fire_at, updated_at: values.updated_at })
        .where("tenant_id", "=", tenantId)
        .where("trigger_id", "=", triggerId)
        .execute();
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return after;
    });
  }

  async deleteTrigger(tenantId: string, triggerId: string, audit: AuditEntry[]): Promise<boolean> {
    return this.#adapter.write(async (trx) => {
      const deleted = await trx.deleteFrom("triggers").where("tenant_id", "=", tenantId).where("trigger_id", "=", triggerId).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return false;
      await trx.deleteFrom("trigger_fires").where("trigger_id", "=", triggerId).execute();
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return true;
    });
  }

  async syncDefinitionTriggers(tenantId: string, workflowId: string, rows: Array<TriggerRow & { resetSchedule: boolean }>, audit: AuditEntry[]): Promise<{ ok: true } | { ok: false; pathTaken: string }> {
    return this.#adapter.write(async (trx) => {
      let q = trx.selectFrom("triggers").selectAll().where("tenant_id", "=", tenantId).where("workflow_id", "=", workflowId).where("source", "=", "definition");
      if (this.#adapter.lockRows) q = q.forUpdate();
      const existing = new Map((await q.execute()).map((r) => [r.trigger_id, r]));
      const keep = new Set(rows.map((r) => r.triggerId));
      const gone = [...existing.keys()].filter((id) => !keep.has(id));
      // Deleted first, so a path moving from a removed trigger to a new one is free again.
      if (gone.length > 0) {
        await trx.deleteFrom("triggers").where("tenant_id", "=", tenantId).where("trigger_id", "in", gone).execute();
        await trx.deleteFrom("trigger_fires").where("trigger_id", "in", gone).execute();
      }
      for (const row of rows) {
        if (await pathTaken(trx, tenantId, row.webhookPath, row.triggerId)) return { ok: false as const, pathTaken: row.webhookPath as string };
        const values = triggerToRow(row);
        const before = existing.get(row.triggerId);
        if (before === undefined) {
          await trx.insertInto("triggers").values(values).execute();
          continue;
        }
        await trx
          .updateTable("triggers")
          .set({
            name: values.name,
            type: values.type,
            config: values.config,
            enabled: values.enabled,
            webhook_path: values.webhook_path,
            updated_at: values.updated_at,
            ...(row.resetSchedule ? { next_fire_at: values.next_fire_at, state: values.state, state_version: before.state_version + 1 } : {}),
          })
          .where("tenant_id", "=", tenantId)
          .where("trigger_id", "=", row.triggerId)
          .execute();
      }
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return { ok: true as const };
    });
  }

  async findWebhookTrigger(tenantId: string, path: string): Promise<TriggerRow | undefined> {
    const row = await this.#db.selectFrom("triggers").selectAll().where("tenant_id", "=", tenantId).where("webhook_path", "=", path).where("type", "=", "webhook").executeTakeFirst();
    return row ? rowToTrigger(row) : undefined;
  }

  async listEventTriggers(tenantId: string): Promise<TriggerRow[]> {
    const rows = await this.#db.selectFrom("triggers").selectAll().where("tenant_id", "=", tenantId).where("type", "=", "event").where("enabled", "=", 1).orderBy("created_at").execute();
    return rows.map(rowToTrigger);
  }

  async dueTriggers(now: number, limit: number): Promise<TriggerRow[]> {
    const rows = await this.#timed()
      .selectAll("triggers")
      .where("triggers.next_fire_at", "<=", now)
      .orderBy("triggers.next_fire_at")
      .limit(limit)
      .execute();
    return rows.map(rowToTrigger);
  }

  async nextTriggerTime(): Promise<number | undefined> {
    const row = await this.#timed()
      .select((eb) => eb.fn.min<number>("triggers.next_fire_at").as("at"))
      .executeTakeFirst();
    return row?.at === null || row?.at === undefined ? undefined : Number(row.at);
  }

  /**
   * Enabled timed triggers of active tenants. A suspended or deleted tenant's triggers are neither
   * due nor armed, on every node, from the moment its row changes: nothing keeps recording refusals.
   */
  #timed() {
    return this.#db
      .selectFrom("triggers")
      .innerJoin("tenants", "tenants.tenant_id", "triggers.tenant_id")
      .where("triggers.next_fire_at", "is not", null)
      .where("triggers.enabled", "=", 1)
      .where("triggers.type", "in", TIMED_TYPES)
      .where("tenants.status", "=", "active")
      .where("tenants.deleted_at", "is", null);
  }

  async restartTimedTriggers(tenantId: string, nextFireAt: (row: TriggerRow) => number | null): Promise<number> {
    return this.#adapter.write(async (trx) => {
      let q = trx.selectFrom("triggers").selectAll().where("tenant_id", "=", tenantId).where("type", "in", TIMED_TYPES).where("enabled", "=", 1);
      if (this.#adapter.lockRows) q = q.orderBy("trigger_id").forUpdate();
      const rows = (await q.execute()).map(rowToTrigger);
      for (const row of rows) await trx.updateTable("triggers").set({ next_fire_at: nextFireAt(row) }).where("tenant_id", "=", tenantId).where("trigger_id", "=", row.triggerId).execute();
      return rows.length;
    });
  }

  async recordFires(fires: FireToRecord[], offer?: LeaseOffer): Promise<RecordedFire[]> {
    if (fires.length <= 1) return fires.length === 0 ? [] : this.#recordAlone(fires[0] as FireToRecord, offer);
    try {
      return await this.#engine.writeWithStarts((trx, create) => this.#recordAll(trx, fires, offer, create));
    } catch {
      // One fire's failure must not stop the others: each is tried alone, in its own transaction.
      const out: RecordedFire[] = [];
      for (const fire of fires) out.push(...(await this.#recordAlone(fire, offer)));
      return out;
    }
  }

  async #recordAlone(fire: FireToRecord, offer?: LeaseOffer): Promise<RecordedFire[]> {
    try {
      return await this.#engine.writeWithStarts((trx, create) => this.#recordAll(trx, [fire], offer, create));
    } catch (error) {
      return [{ ok: false, error }];
    }
  }

  async #recordAll(trx: Kysely<Database>, fires: FireToRecord[], offer: LeaseOffer | undefined, create: CreateWithin): Promise<RecordedFire[]> {
    const won = await this.#claimTimes(trx, fires);
    const results: RecordedFire[] = fires.map((f, i) => ({ ok: true, recorded: won.has(i), fire: f.fire }));
    const starting = [...won].filter((i) => fires[i]?.start !== undefined);
    const created = await create(
      starting.map((i) => fires[i]?.start as NonNullable<FireToRecord["start"]>),
      offer,
    );
    starting.forEach((i, k) => {
      const c = created[k] as NonNullable<(typeof created)[number]>;
      results[i] = { ok: true, recorded: true, fire: { ...(fires[i] as FireToRecord).fire, executionId: c.executionId, status: c.created ? "started" : "duplicate" }, created: c };
    });
    const rows = [...won].filter((i) => fires[i]?.keepRecord).map((i) => fireToRow((results[i] as { fire: TriggerFireRow }).fire));
    if (rows.length > 0) await trx.insertInto("trigger_fires").values(rows).onConflict((oc) => oc.columns(["trigger_id", "scheduled_at"]).doNothing()).execute();
    return results;
  }

  /**
   * The compare-and-set of every fire's time, in two statements whatever the batch's size: one read
   * of the triggers (locked on PostgreSQL, in id order, so two nodes' batches never wait on each
   * other in a cycle) says which fires hold their expected time, taken trigger by trigger in time
   * order (a catch-up burst chains its times); one update moves the winners on. Answers the indexes
   * of the fires won.
   */
  async #claimTimes(trx: Kysely<Database>, fires: FireToRecord[]): Promise<Set<number>> {
    const keyOf = (tenantId: string, triggerId: string) => `${tenantId}\u0000${triggerId}`;
    const pairs = [...new Map(fires.map((f) => [keyOf(f.fire.tenantId, f.fire.triggerId), f.fire])).values()];
    const inBatch = (eb: ExpressionBuilder<Database, "triggers">) => eb.or(pairs.map((p) => eb.and([eb("tenant_id", "=", p.tenantId), eb("trigger_id", "=", p.triggerId)])));
    let q = trx.selectFrom("triggers").select(["tenant_id", "trigger_id", "next_fire_at"]).where(inBatch).orderBy("trigger_id").orderBy("tenant_id");
    if (this.#adapter.lockRows) q = q.forUpdate();
    const current = new Map((await q.execute()).map((r) => [keyOf(r.tenant_id, r.trigger_id), r.next_fire_at === null ? null : Number(r.next_fire_at)]));
    const order = fires.map((_, i) => i).sort((a, b) => (fires[a] as FireToRecord).fire.scheduledAt - (fires[b] as FireToRecord).fire.scheduledAt);
    const won = new Set<number>();
    const moves = new Map<string, { tenantId: string; triggerId: string; next: number | null; counted: number; firedAt: number | null }>();
    for (const i of order) {
      const { fire, expected, next, start } = fires[i] as FireToRecord;
      const key = keyOf(fire.tenantId, fire.triggerId);
      if (current.get(key) !== expected) continue;
      won.add(i);
      current.set(key, next);
      const move = moves.get(key) ?? { tenantId: fire.tenantId, triggerId: fire.triggerId, next, counted: 0, firedAt: null };
      move.next = next;
      if (start !== undefined || fire.status === "started" || fire.status === "duplicate") {
        move.counted += 1;
        move.firedAt = fire.firedAt;
      }
      moves.set(key, move);
    }
    if (moves.size === 0) return won;
    const list = [...moves.values()];
    const pick = (value: (m: (typeof list)[number]) => RawBuilder<unknown>, otherwise: RawBuilder<unknown>) =>
      sql`CASE ${sql.join(list.map((m) => sql`WHEN tenant_id = ${m.tenantId} AND trigger_id = ${m.triggerId} THEN ${value(m)}`), sql` `)} ELSE ${otherwise} END`;
    await trx
      .updateTable("triggers")
      .set({
        next_fire_at: pick((m) => sql`CAST(${m.next} AS BIGINT)`, sql`next_fire_at`) as RawBuilder<number | null>,
        fire_count: sql<number>`fire_count + ${pick((m) => sql`CAST(${m.counted} AS INTEGER)`, sql`0`)}`,
        last_fired_at: pick((m) => (m.firedAt === null ? sql`last_fired_at` : sql`CAST(${m.firedAt} AS BIGINT)`), sql`last_fired_at`) as RawBuilder<number | null>,
      })
      .where((eb) => eb.or(list.map((m) => eb.and([eb("tenant_id", "=", m.tenantId), eb("trigger_id", "=", m.triggerId)]))))
      .execute();
    return won;
  }

  async claimCheck(tenantId: string, triggerId: string, expected: number, next: number): Promise<boolean> {
    const moved = await this.#db.updateTable("triggers").set({ next_fire_at: next }).where("tenant_id", "=", tenantId).where("trigger_id", "=", triggerId).where("next_fire_at", "=", expected).executeTakeFirst();
    return Number(moved.numUpdatedRows) > 0;
  }

  async setTriggerState(tenantId: string, triggerId: string, expectedVersion: number, state: Record<string, unknown>, firedAt?: number): Promise<boolean> {
    const moved = await this.#db
      .updateTable("triggers")
      .set((eb) => ({
        state: JSON.stringify(state),
        state_version: expectedVersion + 1,
        ...(firedAt !== undefined ? { last_fired_at: firedAt, fire_count: eb("fire_count", "+", 1) } : {}),
      }))
      .where("tenant_id", "=", tenantId)
      .where("trigger_id", "=", triggerId)
      .where("state_version", "=", expectedVersion)
      .executeTakeFirst();
    return Number(moved.numUpdatedRows) > 0;
  }

  async listFires(tenantId: string, triggerId: string, limit = 100): Promise<TriggerFireRow[]> {
    const rows = await this.#db.selectFrom("trigger_fires").selectAll().where("tenant_id", "=", tenantId).where("trigger_id", "=", triggerId).orderBy("scheduled_at", "desc").limit(limit).execute();
    return rows.map(rowToFire);
  }

  // --- strategies --------------------------------------------------------------------------

  async insertStrategy(row: StrategyRow, audit: AuditEntry[]): Promise<boolean> {
    return this.#adapter.write(async (trx) => {
      const inserted = await trx.insertInto("strategies").values(strategyToRow(row)).onConflict((oc) => oc.columns(["tenant_id", "strategy_id"]).doNothing()).executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return true;
    });
  }

  async getStrategy(tenantId: string, strategyId: string): Promise<StrategyRow | undefined> {
    const row = await this.#db.selectFrom("strategies").selectAll().where("tenant_id", "=", tenantId).where("strategy_id", "=", strategyId).executeTakeFirst();
    return row ? rowToStrategy(row) : undefined;
  }

  async listStrategies(tenantId: string): Promise<StrategyRow[]> {
    const rows = await this.#db.selectFrom("strategies").selectAll().where("tenant_id", "=", tenantId).orderBy("priority", "desc").orderBy("strategy_id").execute();
    return rows.map(rowToStrategy);
  }

  async updateStrategy(tenantId: string, strategyId: string, change: (before: StrategyRow) => { patch: StrategyPatch; audit: AuditEntry[] }): Promise<StrategyRow | undefined> {
    return this.#adapter.write(async (trx) => {
      let q = trx.selectFrom("strategies").selectAll().where("tenant_id", "=", tenantId).where("strategy_id", "=", strategyId);
      if (this.#adapter.lockRows) q = q.forUpdate();
      const row = await q.executeTakeFirst();
      if (!row) return undefined;
      const before = rowToStrategy(row);
      const { patch, audit } = change(before);
      const after: StrategyRow = { ...before, ...patch };
      const v = strategyToRow(after);
      await trx
        .updateTable("strategies")
        .set({ name: v.name, category: v.category, symptoms: v.symptoms, workflow_id: v.workflow_id, priority: v.priority, enabled: v.enabled, dedup: v.dedup, updated_at: v.updated_at })
        .where("tenant_id", "=", tenantId)
        .where("strategy_id", "=", strategyId)
        .execute();
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return after;
    });
  }

  async deleteStrategy(tenantId: string, strategyId: string, audit: AuditEntry[]): Promise<boolean> {
    return this.#adapter.write(async (trx) => {
      const deleted = await trx.deleteFrom("strategies").where("tenant_id", "=", tenantId).where("strategy_id", "=", strategyId).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) return false;
      await trx.deleteFrom("strategy_runs").where("tenant_id", "=", tenantId).where("strategy_id", "=", strategyId).execute();
      await appendAudit(trx, this.#adapter, this.#sealer, audit);
      return true;
    });
  }

  async claimStrategyRun(tenantId: string, strategyId: string, fingerprint: string, now: number, windowMs: number): Promise<{ claimed: boolean; runKey: string }> {
    return this.#adapter.write(async (trx) => {
      const runKey = `${strategyId}:${fingerprint}:${now}`;
      const inserted = await trx
        .insertInto("strategy_runs")
        .values({ tenant_id: tenantId, strategy_id: strategyId, fingerprint, started_at: now, run_key: runKey, suppressed: 0 })
        .onConflict((oc) => oc.columns(["tenant_id", "strategy_id", "fingerprint"]).doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0) return { claimed: true, runKey };
      // The row exists: a closed window is reopened by compare-and-set on its start time.
      let q = trx.selectFrom("strategy_runs").selectAll().where("tenant_id", "=", tenantId).where("strategy_id", "=", strategyId).where("fingerprint", "=", fingerprint);
      if (this.#adapter.lockRows) q = q.forUpdate();
      const open = await q.executeTakeFirstOrThrow();
      const update = trx.updateTable("strategy_runs").where("tenant_id", "=", tenantId).where("strategy_id", "=", strategyId).where("fingerprint", "=", fingerprint);
      if (Number(open.started_at) + windowMs <= now) {
        await update.set({ started_at: now, run_key: runKey, suppressed: 0 }).execute();
        return { claimed: true, runKey };
      }
      await update.set((eb) => ({ suppressed: eb("suppressed", "+", 1) })).execute();
      return { claimed: false, runKey: open.run_key };
    });
  }
}

async function pathTaken(trx: Kysely<Database>, tenantId: string, path: string | null, triggerId: string): Promise<boolean> {
  if (path === null) return false;
  const row = await trx.selectFrom("triggers").select("trigger_id").where("tenant_id", "=", tenantId).where("webhook_path", "=", path).where("trigger_id", "!=", triggerId).executeTakeFirst();
  return row !== undefined;
}

function triggerToRow(t: TriggerRow): TriggersTable {
  return {
    tenant_id: t.tenantId,
    trigger_id: t.triggerId,
    workflow_id: t.workflowId,
    type: t.type,
    name: t.name,
    config: JSON.stringify(t.config),
    enabled: t.enabled ? 1 : 0,
    source: t.source,
    webhook_path: t.webhookPath,
    next_fire_at: t.nextFireAt,
    state: JSON.stringify(t.state),
    state_version: t.stateVersion,
    last_fired_at: t.lastFiredAt,
    fire_count: t.fireCount,
    created_at: t.createdAt,
    updated_at: t.updatedAt,
  };
}

function rowToTrigger(r: TriggersTable): TriggerRow {
  return {
    tenantId: r.tenant_id,
    triggerId: r.trigger_id,
    workflowId: r.workflow_id,
    type: r.type as TriggerType,
    name: r.name,
    config: JSON.parse(r.config) as Record<string, unknown>,
    enabled: Number(r.enabled) === 1,
    source: r.source as TriggerRow["source"],
    webhookPath: r.webhook_path,
    nextFireAt: r.next_fire_at === null ? null : Number(r.next_fire_at),
    state: JSON.parse(r.state) as Record<string, unknown>,
    stateVersion: Number(r.state_version),
    lastFiredAt: r.last_fired_at === null ? null : Number(r.last_fired_at),
    fireCount: Number(r.fire_count),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

function fireToRow(f: TriggerFireRow): TriggerFiresTable {
  return {
    trigger_id: f.triggerId,
    scheduled_at: f.scheduledAt,
    tenant_id: f.tenantId,
    fired_at: f.firedAt,
    node_id: f.nodeId,
    execution_id: f.executionId,
    status: f.status,
    error: f.error,
    skipped: f.skipped,
  };
}

function rowToFire(r: TriggerFiresTable): TriggerFireRow {
  return {
    triggerId: r.trigger_id,
    tenantId: r.tenant_id,
    scheduledAt: Number(r.scheduled_at),
    firedAt: Number(r.fired_at),
    nodeId: r.node_id,
    executionId: r.execution_id,
    status: r.status as TriggerFireRow["status"],
    error: r.error,
    skipped: Number(r.skipped),
  };
}

function strategyToRow(s: StrategyRow): StrategiesTable {
  return {
    tenant_id: s.tenantId,
    strategy_id: s.strategyId,
    name: s.name,
    category: s.category,
    symptoms: JSON.stringify(s.symptoms),
    workflow_id: s.workflowId,
    priority: s.priority,
    enabled: s.enabled ? 1 : 0,
    dedup: JSON.stringify(s.dedup),
    created_at: s.createdAt,
    updated_at: s.updatedAt,
  };
}

function rowToStrategy(r: StrategiesTable): StrategyRow {
  return {
    tenantId: r.tenant_id,
    strategyId: r.strategy_id,
    name: r.name,
    category: r.category,
    symptoms: JSON.parse(r.symptoms) as unknown[],
    workflowId: r.workflow_id,
    priority: Number(r.priority),
    enabled: Number(r.enabled) === 1,
    dedup: JSON.parse(r.dedup) as StrategyRow["dedup"],
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}
