// Diagnosis strategies of a tenant: create, read, update, delete (audited), the built-ins, and the
// match of one event: the best strategy, then its de-duplication window claimed in the store so an
// event storm starts one run per window on every node together.
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { ConflictError, NotFoundError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { TenantEvent } from "../events/tenant-event.js";
import type { StrategyRow, TriggerStore } from "../store/trigger-store.js";
import { BUILTIN_STRATEGIES } from "./builtin-strategies.js";
import { bestStrategy, eventFingerprint } from "./strategy-matcher.js";
import type { Strategy, StrategyInput, Symptom } from "./strategy-model.js";
import { DEFAULT_DEDUP_KEY, checkStrategyInput, dedupWindowMs } from "./strategy-model.js";

export type StrategyMatch =
  | { matched: false }
  | { matched: true; strategy: Strategy; claimed: true; runKey: string }
  | { matched: true; strategy: Strategy; claimed: false; runKey: string };

export class StrategyService {
  #store: TriggerStore;
  #clock: Clock;

  constructor(store: TriggerStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async create(tenantId: string, raw: StrategyInput | Record<string, unknown>, userId = "system"): Promise<Strategy> {
    const input = checkStrategyInput(raw);
    const now = this.#clock.now();
    const row: StrategyRow = {
      tenantId,
      strategyId: input.strategyId ?? newId(),
      name: input.name,
      category: input.category ?? "general",
      symptoms: input.symptoms,
      workflowId: input.workflowId,
      priority: input.priority ?? 5,
      enabled: input.enabled ?? true,
      dedup: { windowMs: dedupWindowMs(input.dedupWindow), key: input.dedupKey ?? DEFAULT_DEDUP_KEY },
      createdAt: now,
      updatedAt: now,
    };
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "create_strategy", status: "success", componentId: row.strategyId, userId, metadata: { workflow_id: row.workflowId, priority: row.priority } })];
    if (!(await this.#store.insertStrategy(row, audit))) throw new ConflictError(`Strategy ${row.strategyId} already exists`, { strategyId: row.strategyId });
    return toStrategy(row);
  }

  async get(tenantId: string, strategyId: string): Promise<Strategy> {
    const row = typeof strategyId === "string" ? await this.#store.getStrategy(tenantId, strategyId) : undefined;
    if (!row) throw new NotFoundError("strategy", String(strategyId));
    return toStrategy(row);
  }

  async list(tenantId: string): Promise<Strategy[]> {
    return (await this.#store.listStrategies(tenantId)).map(toStrategy);
  }

  async update(tenantId: string, strategyId: string, raw: Partial<StrategyInput> | Record<string, unknown>, userId = "system"): Promise<Strategy> {
    const input = checkStrategyInput(raw, { partial: true });
    if (input.strategyId !== undefined && input.strategyId !== strategyId) throw new ConflictError("A strategy's id cannot change", { strategyId });
    const now = this.#clock.now();
    const row = await this.#store.updateStrategy(tenantId, strategyId, (before) => ({
      patch: {
        updatedAt: now,
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.category !== undefined ? { category: input.category } : {}),
        ...(input.symptoms !== undefined ? { symptoms: input.symptoms } : {}),
        ...(input.workflowId !== undefined ? { workflowId: input.workflowId } : {}),
        ...(input.priority !== undefined ? { priority: input.priority } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        dedup: { windowMs: input.dedupWindow !== undefined ? dedupWindowMs(input.dedupWindow) : before.dedup.windowMs, key: input.dedupKey ?? before.dedup.key },
      },
      audit: [makeAuditEntry(this.#clock, { tenantId, action: "update_strategy", status: "success", componentId: strategyId, userId, metadata: { fields: Object.keys(raw) } })],
    }));
    if (!row) throw new NotFoundError("strategy", strategyId);
    return toStrategy(row);
  }

  async delete(tenantId: string, strategyId: string, userId = "system"): Promise<void> {
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "delete_strategy", status: "success", componentId: strategyId, userId })];
    if (!(await this.#store.deleteStrategy(tenantId, strategyId, audit))) throw new NotFoundError("strategy", String(strategyId));
  }

  /** Creates the seed 003 Kubernetes strategies the tenant does not have yet; returns all four. */
  async installBuiltins(tenantId: string, userId = "system"): Promise<Strategy[]> {
    const out: Strategy[] = [];
    for (const builtin of BUILTIN_STRATEGIES) {
      const existing = await this.#store.getStrategy(tenantId, builtin.strategyId as string);
      out.push(existing ? toStrategy(existing) : await this.create(tenantId, builtin, userId));
    }
    return out;
  }

  /** The strategy that handles the event, with its de-duplication window claimed (or found open). */
  async match(tenantId: string, event: TenantEvent): Promise<StrategyMatch> {
    const strategies = (await this.#store.listStrategies(tenantId)).map(toStrategy);
    const strategy = bestStrategy(strategies, event);
    if (!strategy) return { matched: false };
    const fingerprint = eventFingerprint(event, strategy.dedupKey);
    const claim = await this.#store.claimStrategyRun(tenantId, strategy.strategyId, fingerprint, this.#clock.now(), strategy.dedupWindowMs);
    return claim.claimed ? { matched: true, strategy, claimed: true, runKey: claim.runKey } : { matched: true, strategy, claimed: false, runKey: claim.runKey };
  }
}

function toStrategy(row: StrategyRow): Strategy {
  return {
    strategyId: row.strategyId,
    tenantId: row.tenantId,
    name: row.name,
    category: row.category,
    symptoms: row.symptoms as Symptom[],
    workflowId: row.workflowId,
    priority: row.priority,
    enabled: row.enabled,
    dedupWindowMs: row.dedup.windowMs,
    dedupKey: row.dedup.key,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
