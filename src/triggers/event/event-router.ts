// Routes one tenant event to what it starts: every matching event trigger of the tenant (name glob,
// seed 003's reason and severity, a CEL filter over the event) and the best diagnosis strategy. Only
// the tenant's own triggers and strategies are ever read, so an event cannot start another
// tenant's workflow. Idempotency keys make a re-sent event (same id) start nothing new.
import { errorMessage, isSynergyMeshError } from "../../core/errors.js";
import { globMatch } from "../../core/glob.js";
import type { TenantEvent } from "../../events/tenant-event.js";
import { eventView } from "../../events/tenant-event.js";
import type { TriggerRow, TriggerStore } from "../../store/trigger-store.js";
import { SEVERITY_RANK } from "../../strategies/strategy-model.js";
import type { StrategyService } from "../../strategies/strategy-service.js";
import { evaluateCondition } from "../../workflow/expressions.js";
import { staticInput } from "../trigger-config.js";
import type { TriggerEvents, TriggerStarter } from "../trigger-types.js";

export interface RoutedExecution {
  executionId: string;
  workflowId: string;
  /** Set when an event trigger started it. */
  triggerId?: string;
  /** Set when a diagnosis strategy started it. */
  strategyId?: string;
  /** True when the execution existed already (same event id, or the strategy's open de-duplication window). */
  duplicate: boolean;
}

export interface EventRouteResult {
  eventId: string;
  executions: RoutedExecution[];
  /** Matches that started nothing: workflow not active, a filter that failed, a refusal. */
  skipped: Array<{ triggerId?: string; strategyId?: string; reason: string }>;
}

export class EventRouter {
  #store: TriggerStore;
  #starter: TriggerStarter;
  #strategies: StrategyService;
  #events: TriggerEvents;
  #now: () => number;

  constructor(store: TriggerStore, starter: TriggerStarter, strategies: StrategyService, events: TriggerEvents, now: () => number) {
    this.#store = store;
    this.#starter = starter;
    this.#strategies = strategies;
    this.#events = events;
    this.#now = now;
  }

  async route(tenantId: string, event: TenantEvent): Promise<EventRouteResult> {
    const result: EventRouteResult = { eventId: event.id, executions: [], skipped: [] };
    const view = eventView(event);
    for (const trigger of await this.#store.listEventTriggers(tenantId)) {
      let matched: boolean;
      try {
        matched = triggerMatches(trigger, event, view);
      } catch (error) {
        result.skipped.push({ triggerId: trigger.triggerId, reason: describe(error) });
        continue;
      }
      if (!matched) continue;
      const input = { ...staticInput(trigger.config), event: view, trigger: { id: trigger.triggerId, type: "event" } };
      await this.#start(tenantId, trigger.workflowId, input, `event:${trigger.triggerId}:${event.id}`, { triggerId: trigger.triggerId }, result);
    }
    const match = await this.#strategies.match(tenantId, event);
    if (match.matched) {
      const s = match.strategy;
      const input = { event: view, strategy: { id: s.strategyId, name: s.name, category: s.category, priority: s.priority } };
      // Within an open window the key is the window's: the run it started comes back as a duplicate.
      await this.#start(tenantId, s.workflowId, input, `strategy:${match.runKey}`, { strategyId: s.strategyId }, result);
    }
    return result;
  }

  async #start(tenantId: string, workflowId: string, input: Record<string, unknown>, key: string, by: { triggerId?: string; strategyId?: string }, result: EventRouteResult): Promise<void> {
    try {
      const started = await this.#starter.start(tenantId, workflowId, input, key);
      result.executions.push({ executionId: started.executionId, workflowId, ...by, duplicate: !started.created });
      if (by.triggerId !== undefined) {
        const now = this.#now();
        this.#events.emit("trigger.fired", { tenantId, triggerId: by.triggerId, type: "event", status: started.created ? "started" : "duplicate", executionId: started.executionId, scheduledAt: now, firedAt: now, error: null });
      }
    } catch (error) {
      if (!isSynergyMeshError(error) || error.code === "STORE_UNAVAILABLE") throw error;
      result.skipped.push({ ...by, reason: describe(error) });
    }
  }
}

function triggerMatches(trigger: TriggerRow, event: TenantEvent, view: Record<string, unknown>): boolean {
  const c = trigger.config;
  if (typeof c.event === "string" && !globMatch(c.event, event.name)) return false;
  if (typeof c.event_reason === "string" && !(typeof event.payload.reason === "string" && globMatch(c.event_reason, event.payload.reason, { ignoreCase: true }))) return false;
  if (typeof c.severity === "string") {
    const least = SEVERITY_RANK[c.severity.toLowerCase()];
    const given = typeof event.payload.severity === "string" ? SEVERITY_RANK[event.payload.severity.toLowerCase()] : undefined;
    if (least !== undefined ? given === undefined || given < least : event.payload.severity !== c.severity) return false;
  }
  if (typeof c.filter === "string") return evaluateCondition(c.filter, { event: view, payload: event.payload, name: event.name }, { path: `triggers[${trigger.triggerId}].config.filter` });
  return true;
}

function describe(error: unknown): string {
  return isSynergyMeshError(error) ? `${error.code}: ${error.message}` : errorMessage(error);
}
