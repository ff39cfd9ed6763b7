// Wires triggers, the event bus, NATS and diagnosis strategies to the orchestrator's tenant, quota,
// workflow and execution services; the Orchestrator's trigger methods delegate here one-to-one.
import type { ResolvedOptions } from "./config/options.js";
import { ConflictError } from "./core/errors.js";
import type { EngineEvents } from "./engine/engine-events.js";
import type { ExecutionService } from "./engine/execution-service.js";
import type { WorkflowService } from "./engine/workflow-service.js";
import { EventBus } from "./events/event-bus.js";
import type { EventListener } from "./events/event-bus.js";
import { NatsBridge } from "./events/nats-bridge.js";
import type { EventInput } from "./events/tenant-event.js";
import type { Store } from "./store/store.js";
import type { TriggerFireRow } from "./store/trigger-store.js";
import { StrategyService } from "./strategies/strategy-service.js";
import type { QuotaGuard } from "./tenancy/quota-guard.js";
import type { SecretService } from "./tenancy/secret-service.js";
import type { TenantService } from "./tenancy/tenant-service.js";
import { checkCondition } from "./triggers/condition/condition-check.js";
import { CronTimes } from "./triggers/cron/cron-schedule.js";
import { fireSchedules } from "./triggers/cron/schedule-fire.js";
import type { EventRouteResult } from "./triggers/event/event-router.js";
import { EventRouter } from "./triggers/event/event-router.js";
import { TriggerScheduler } from "./triggers/trigger-scheduler.js";
import { TriggerService } from "./triggers/trigger-service.js";
import type { CreateTriggerInput, Trigger, TriggerStarter, TriggerType, UpdateTriggerInput } from "./triggers/trigger-types.js";
import { TriggerEvents } from "./triggers/trigger-types.js";
import type { WebhookDelivery, WebhookResult } from "./triggers/webhook/webhook-receiver.js";
import { WebhookReceiver } from "./triggers/webhook/webhook-receiver.js";
import type { WorkflowDefinition } from "./workflow/model.js";

export interface TriggerParts {
  options: ResolvedOptions;
  store: Store;
  tenants: TenantService;
  guard: QuotaGuard;
  workflows: WorkflowService;
  executions: ExecutionService;
  secrets: SecretService;
  engineEvents: EngineEvents;
  tenantMetrics(tenantId: string): Promise<Record<string, unknown>>;
}

export interface PublishedEvent extends EventRouteResult {
  name: string;
}

export class OrchestratorTriggers {
  readonly events = new TriggerEvents();
  readonly triggers: TriggerService;
  readonly strategies: StrategyService;
  #parts: TriggerParts;
  #scheduler: TriggerScheduler;
  #webhooks: WebhookReceiver;
  #bus: EventBus<EventRouteResult>;
  #nats: NatsBridge | undefined;

  constructor(parts: TriggerParts) {
    this.#parts = parts;
    const { options, store } = parts;
    const starter = this.#starter();
    this.triggers = new TriggerService(store.triggers, options.clock, () => this.#scheduler.wake());
    this.strategies = new StrategyService(store.triggers, options.clock);
    const fire = { starter, clock: options.clock, nodeId: options.nodeId, events: this.events, graceMs: options.triggers.graceMs, times: new CronTimes() };
    const condition = { store: store.triggers, starter, clock: options.clock, events: this.events, tenantMetrics: parts.tenantMetrics, egress: options.egress };
    this.#scheduler = new TriggerScheduler(store.triggers, options.clock, options.logger, { schedules: (rows) => fireSchedules(rows, fire), condition: (row) => checkCondition(row, condition) }, {
      pollMs: options.triggers.pollMs,
      concurrency: options.triggers.concurrency,
    });
    this.#webhooks = new WebhookReceiver(
      store.triggers,
      starter,
      options.clock,
      { maxBodyBytes: options.triggers.webhookMaxBodyBytes, publicMaxBodyBytes: options.triggers.publicWebhookMaxBodyBytes, publicRatePerSecond: options.triggers.publicWebhookRatePerSecond },
      (tenantId, name) => parts.secrets.resolve(tenantId, name),
    );
    const router = new EventRouter(store.triggers, starter, this.strategies, this.events, () => options.clock.now());
    this.#bus = new EventBus((tenantId, event) => router.route(tenantId, event), options.clock);
  }

  /** Connects NATS (when configured) and starts the trigger loop (when enabled). */
  async start(): Promise<void> {
    const { options } = this.#parts;
    if (options.nats) {
      this.#nats = await NatsBridge.connect(options.nats, (tenantId, input, source) => this.publishEvent(tenantId, input, source), options.logger);
      if (options.nats.lifecycleSubjectPrefix !== undefined) {
        const nats = this.#nats;
        this.#parts.engineEvents.on("execution.started", (e) => nats.publishLifecycle(e.tenantId, "execution.started", { execution_id: e.executionId, workflow_id: e.workflowId, version: e.version }));
        this.#parts.engineEvents.on("execution.finished", (e) =>
          nats.publishLifecycle(e.tenantId, "execution.finished", { execution_id: e.executionId, workflow_id: e.workflowId, status: e.status, error: e.error, duration_ms: e.durationMs ?? null }),
        );
      }
    }
    if (options.triggers.enabled) this.#scheduler.start();
  }

  /**
   * A tenant was suspended or deleted: its triggers are no longer due (the store leaves them out),
   * so the loop arms its timer again without them. Other nodes see it at their next pass.
   */
  tenantStopped(): void {
    this.#scheduler.wake();
  }

  /** Before a tenant is resumed: its schedules start again from now. */
  tenantResuming(tenantId: string): Promise<void> {
    return this.triggers.restartTenant(tenantId);
  }

  runDueTriggers(): Promise<void> {
    return this.#scheduler.runOnce();
  }

  async stop(): Promise<void> {
    await this.#scheduler.stop();
    await this.#nats?.close();
  }

  // --- what the Orchestrator delegates -----------------------------------------------------

  async createTrigger(tenantId: string, input: CreateTriggerInput, userId?: string): Promise<Trigger> {
    await this.#parts.tenants.getActiveRow(tenantId);
    if (input !== null && typeof input === "object" && typeof input.workflowId === "string") await this.#parts.workflows.get(tenantId, input.workflowId);
    return this.triggers.create(tenantId, input, userId);
  }

  async updateTrigger(tenantId: string, triggerId: string, input: UpdateTriggerInput, userId?: string): Promise<Trigger> {
    await this.#parts.tenants.getActiveRow(tenantId);
    return this.triggers.update(tenantId, triggerId, input, userId);
  }

  listTriggers(tenantId: string, filter?: { workflowId?: string; type?: TriggerType }): Promise<Trigger[]> {
    return this.triggers.list(tenantId, filter);
  }

  async listTriggerFires(tenantId: string, triggerId: string, limit?: number): Promise<TriggerFireRow[]> {
    await this.triggers.get(tenantId, triggerId);
    return this.#parts.store.triggers.listFires(tenantId, triggerId, limit);
  }

  /** Called after a workflow version is saved: its definition's triggers become its stored triggers. */
  syncDefinitionTriggers(tenantId: string, workflowId: string, definition: WorkflowDefinition, userId?: string): Promise<void> {
    return this.triggers.syncDefinition(tenantId, workflowId, definition, userId);
  }

  deliverWebhook(tenantId: string, path: string, delivery: WebhookDelivery): Promise<WebhookResult> {
    return this.#webhooks.deliver(tenantId, path, delivery);
  }

  /** One admission of the tenant's rate limit, then the event is routed (triggers, strategies) and told to subscribers. */
  async publishEvent(tenantId: string, input: EventInput, source = "api"): Promise<PublishedEvent> {
    await this.#starter().admit(tenantId);
    const { event, result } = await this.#bus.publish(tenantId, input, source);
    return { name: event.name, ...result };
  }

  subscribeEvents(listener: EventListener): () => void {
    return this.#bus.subscribe(listener);
  }

  #starter(): TriggerStarter {
    const { tenants, guard, workflows, executions, store } = this.#parts;
    // SPEC D: triggers fire only for active workflows (manual starts also accept drafts).
    const activeWorkflow = async (tenantId: string, workflowId: string) => {
      const workflow = await workflows.get(tenantId, workflowId);
      if (workflow.status !== "active") throw new ConflictError(`Workflow ${workflowId} is ${workflow.status}; triggers start only active workflows`, { workflowId, status: workflow.status });
      return workflow;
    };
    return {
      admit: async (tenantId) => {
        await guard.admit(await tenants.getActiveRow(tenantId));
      },
      start: async (tenantId, workflowId, input, idempotencyKey) => {
        await tenants.getActiveRow(tenantId);
        await activeWorkflow(tenantId, workflowId);
        return executions.start(tenantId, workflowId, input, { idempotencyKey, userId: "trigger" });
      },
      prepareStarts: (starts) => {
        const read = new Map<string, ReturnType<typeof activeWorkflow>>();
        return Promise.allSettled(
          starts.map(async ({ tenantId, workflowId, input, idempotencyKey }) => {
            await guard.admit(await tenants.getActiveRow(tenantId));
            const key = `${tenantId}\u0000${workflowId}`;
            if (!read.has(key)) read.set(key, activeWorkflow(tenantId, workflowId));
            const workflow = await (read.get(key) as ReturnType<typeof activeWorkflow>);
            return executions.prepare(tenantId, workflowId, input, { idempotencyKey, userId: "trigger" }, workflow);
          }),
        );
      },
      commitFires: async (fires) => {
        const offer = executions.leaseOffer();
        try {
          const recorded = await store.triggers.recordFires(
            fires.map((f) => ({ ...f, start: f.start?.rows })),
            offer,
          );
          recorded.forEach((r, i) => {
            const start = fires[i]?.start;
            if (r.ok && r.created && start) executions.announce(start, r.created);
          });
          return recorded;
        } finally {
          executions.settle(offer);
        }
      },
    };
  }
}
