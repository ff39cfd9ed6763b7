// The library API (seed 000 in TypeScript naming): Orchestrator.open() builds every part from the
// resolved options and wires them; the methods below only delegate. Every method that reads or
// writes the store is async; `retryPolicies` is a Map.
import { STANDARD_RETENTION_MS, SENSITIVE_RETENTION_MS } from "./audit/audit-actions.js";
import { createAuditSealer } from "./audit/audit-chain.js";
import { auditLogsToCsv, auditLogsToJson } from "./audit/audit-export.js";
import type { AuditLog } from "./audit/audit-log.js";
import { GroupCommitter, makeAuditEntry, toAuditLog } from "./audit/audit-log.js";
import type { AuditVerification } from "./audit/verify-audit-chain.js";
import { verifyAuditChain } from "./audit/verify-audit-chain.js";
import type { OrchestratorOptions, ResolvedOptions } from "./config/options.js";
import { resolveOptions } from "./config/options.js";
import { CancelledError, ConfigError, NotFoundError, SynergyMeshError, ValidationError } from "./core/errors.js";
import { DEFAULT_TENANT_ID } from "./core/ids.js";
import type { ExecuteOptions, ExecutionResult, TaskFunction } from "./engine/execute-with-retry.js";
import { TaskRunner } from "./engine/execute-with-retry.js";
import { RetryPolicyRegistry } from "./engine/retry-policy-registry.js";
import { openStore, redactUrl } from "./store/open-store.js";
import type { ExecutionRow, ExecutionStatus, LogRow, WorkflowRow, WorkflowStatus } from "./store/engine-store.js";
import { Engine } from "./engine/engine.js";
import type { EngineEvents, EnginePlugin } from "./engine/engine-events.js";
import type { ExecutionDetails, StartExecutionOptions } from "./engine/execution-service.js";
import { ExecutionService } from "./engine/execution-service.js";
import type { StepExecutor } from "./engine/step-executor.js";
import { StepExecutorRegistry } from "./engine/step-executor.js";
import type { RegisteredWorkflow, RegisterWorkflowOptions } from "./engine/workflow-service.js";
import { WorkflowService } from "./engine/workflow-service.js";
import { BUILTIN_EXECUTORS } from "./executors/builtin.js";
import { createSubworkflowExecutor } from "./executors/subworkflow/subworkflow-executor.js";
import { createHttpExecutor } from "./executors/http/http-executor.js";
import type { ScriptExecutor } from "./executors/script/script-executor.js";
import { createScriptExecutor } from "./executors/script/script-executor.js";
import { createNotificationExecutor } from "./executors/notification/notification-executor.js";
import { createWebhookExecutor } from "./executors/webhook/webhook-executor.js";
import { createMailer } from "./executors/email/mailer.js";
import { createEmailExecutor } from "./executors/email/email-executor.js";
import { createCommandExecutor } from "./executors/command/command-executor.js";
import { createRemediationExecutor } from "./executors/remediation/remediation-executor.js";
import { createDatabaseExecutor } from "./executors/database/database-executor.js";
import { createAiAnalysisExecutor } from "./executors/ai-analysis/ai-analysis-executor.js";
import { createLlmExecutor } from "./executors/llm/llm-executor.js";
import { callbackTokenKey, signCallbackToken } from "./executors/agent/agent-callback.js";
import type { AgentCallbackRequest } from "./executors/agent/agent-completion.js";
import type { SchedulerSnapshot } from "./store/scheduler-status.js";

/** `getSchedulerStatus()`: this node, and what every node's leases and queues add up to. */
export interface SchedulerStatus extends SchedulerSnapshot {
  node: { nodeId: string; labels: readonly string[]; concurrency: number; running: number; strategy: string; workersStarted: boolean };
}
import { AGENT_CALLBACK_PATH, completeAgentTask } from "./executors/agent/agent-completion.js";
import { createAgentExecutor } from "./executors/agent/agent-executor.js";
import { createMcpExecutor } from "./executors/mcp/mcp-executor.js";
import type { WorkflowDefinition } from "./workflow/model.js";
import type { Store } from "./store/store.js";
import { Metrics } from "./telemetry/metrics.js";
import type { QuotaKind } from "./tenancy/quota-guard.js";
import { QuotaGuard } from "./tenancy/quota-guard.js";
import { SlidingWindowRateLimiter } from "./tenancy/rate-limiter.js";
import type { Actor } from "./tenancy/tenant-service.js";
import { TenantService } from "./tenancy/tenant-service.js";
import type { TokenUsage } from "./tenancy/token-usage-service.js";
import { TokenUsageService } from "./tenancy/token-usage-service.js";

import type { OrchestratorMetrics, TenantHealth } from "./telemetry/status-types.js";

export type { TokenUsage } from "./tenancy/token-usage-service.js";
export type { OrchestratorMetrics, TenantHealth } from "./telemetry/status-types.js";
import { SecretService } from "./tenancy/secret-service.js";
import type { ResourceQuota, ResourceRequest, Tenant, TenantTier } from "./tenancy/tiers.js";
import type { PublishedEvent } from "./orchestrator-triggers.js";
import { OrchestratorTriggers } from "./orchestrator-triggers.js";
import type { EventListener } from "./events/event-bus.js";
import type { EventInput } from "./events/tenant-event.js";
import type { TriggerFireRow } from "./store/trigger-store.js";
import type { Strategy, StrategyInput } from "./strategies/strategy-model.js";
import { checkStrategyInput } from "./strategies/strategy-model.js";
import type { CreateTriggerInput, Trigger, TriggerEvents, TriggerType, UpdateTriggerInput } from "./triggers/trigger-types.js";
import type { WebhookDelivery, WebhookResult } from "./triggers/webhook/webhook-receiver.js";

import { MessageTemplates } from "./content/message-templates.js";
import type { MessageTemplate, MessageTemplateContent, MessageTemplateLookup } from "./content/message-templates.js";
import type { LibraryScript } from "./content/script-library.js";
import { ScriptLibrary } from "./content/script-library.js";
import type { ApiKeyInfo, ApiPrincipal, CreateApiKeyInput } from "./tenancy/api-key-service.js";
import { ApiKeyService } from "./tenancy/api-key-service.js";
import { PolicyEngine } from "./tenancy/policy-engine.js";
import type { TenantPolicy } from "./tenancy/policy-service.js";
import { PolicyService } from "./tenancy/policy-service.js";
import type { PolicyDecision, PolicyRequest, PolicyStatement } from "./tenancy/policy-types.js";
import type { LimitDecision } from "./tenancy/rate-limiter.js";
import type { StepRow } from "./store/engine-store.js";

export interface AuditLogQuery {
  /** How far back to look (default 24). */
  hours?: number;
  action?: string;
  status?: string;
  componentId?: string;
  /** At most this many records, newest first (default 10,000). */
  limit?: number;
}


export class Orchestrator {
  /** Per-component retry policies: `orch.retryPolicies.set("order_processor", { maxRetries: 3, initialDelay: 500 })`. */
  readonly retryPolicies = new RetryPolicyRegistry();
  /** The Prometheus registry of this orchestrator (`await orch.prometheus.text()`). */
  readonly prometheus: Metrics;
  #options: ResolvedOptions;
  #store: Store;
  #committer: GroupCommitter;
  #tenants: TenantService;
  #guard: QuotaGuard;
  #runner: TaskRunner;
  #engine: Engine;
  #executors = new StepExecutorRegistry();
  #workflows: WorkflowService;
  #executions: ExecutionService;
  #secrets: SecretService;
  #scripts: ScriptExecutor;
  #agentTokenKey: Buffer;
  #triggers: OrchestratorTriggers;
  #tokens: TokenUsageService;
  #apiKeys: ApiKeyService;
  #policyEngine: PolicyEngine;
  #policies: PolicyService;
  #scriptLibrary: ScriptLibrary;
  #templates: MessageTemplates;
  #closed = false;
  #running = new Set<Promise<unknown>>();

  private constructor(options: ResolvedOptions, store: Store) {
    this.#options = options;
    this.#store = store;
    this.prometheus = new Metrics();
    this.#committer = new GroupCommitter(store, { maxBatch: options.auditBatchSize });
    this.#tenants = new TenantService(store, options.clock, this.#committer, { cacheTtlMs: options.tenantCacheTtlMs });
    this.#guard = new QuotaGuard(options.rateLimiter ?? new SlidingWindowRateLimiter(), options.clock, this.prometheus);
    this.#runner = new TaskRunner({
      tenants: this.#tenants,
      guard: this.#guard,
      committer: this.#committer,
      clock: options.clock,
      metrics: this.prometheus,
      logger: options.logger,
      policies: this.retryPolicies,
      random: options.random,
    });
    for (const executor of BUILTIN_EXECUTORS) this.#executors.register(executor);
    this.#secrets = new SecretService(store, options.clock, options.masterKey);
    this.#engine = new Engine(
      { store: store.engine, clock: options.clock, logger: options.logger, random: options.random, executors: this.#executors, secrets: (tenantId, name) => this.#secrets.resolve(tenantId, name) },
      { nodeId: options.nodeId, concurrency: options.concurrency, labels: options.labels, strategy: options.scheduler.strategy, loadThreshold: options.scheduler.loadThreshold, leaseMs: options.leaseMs, pollMs: options.pollMs, maxLostAttempts: options.maxLostAttempts, commitsInFlight: store.dialect === "postgres" ? 2 : 1, ...(options.faultPoint ? { faultPoint: options.faultPoint } : {}) },
    );
    this.prometheus.countActiveExecutionsWith(() => store.engine.countActiveExecutions());
    this.#engine.events.on("execution.finished", (e) => this.prometheus.executionFinished(e.workflowId, e.status, e.durationMs));
    this.#workflows = new WorkflowService(store.engine, options.clock, this.#executors);
    this.#executions = new ExecutionService(store.engine, options.clock, this.#engine, this.#workflows, (type) => this.#executors.get(type)?.awaitsApproval === true);
    this.#triggers = new OrchestratorTriggers({
      options,
      store,
      tenants: this.#tenants,
      guard: this.#guard,
      workflows: this.#workflows,
      executions: this.#executions,
      secrets: this.#secrets,
      engineEvents: this.#engine.events,
      tenantMetrics: (tenantId) => this.#tenantMetrics(tenantId),
    });
    this.#tokens = new TokenUsageService(store, options.clock, this.#tenants, this.prometheus);
    this.#apiKeys = new ApiKeyService(store.access, options.clock, { cacheTtlMs: options.tenantCacheTtlMs });
    this.#policyEngine = new PolicyEngine((tenantId) => this.#policies.statements(tenantId), options.clock, {
      onDenied: (request, decision) => {
        const entry = makeAuditEntry(options.clock, { tenantId: request.tenantId, action: "policy_denied", status: "denied", componentId: request.resource, userId: request.principal.id, metadata: { action: request.action, reason: decision.reason } });
        this.#committer.submit(entry).catch((error: unknown) => options.logger.error({ err: error }, "could not audit a policy denial"));
      },
    });
    this.#policies = new PolicyService(store.access, options.clock, this.#policyEngine);
    this.#scriptLibrary = new ScriptLibrary(store.access, options.clock);
    this.#templates = new MessageTemplates(store.access, options.clock);
    // A tenant's script library comes first; `scriptRoot` (synergymesh run) after it.
    this.#scripts = createScriptExecutor({ ...(options.scriptRoot ? { scriptRoot: options.scriptRoot } : {}), python: options.python, loadScript: (tenantId, name) => this.#scriptLibrary.load(tenantId, name) });
    this.#executors.register(this.#scripts);
    this.#executors.register(createHttpExecutor({ egress: options.egress }));
    this.#executors.register(createWebhookExecutor({ egress: options.egress }));
    const mailer = createMailer({ smtp: options.smtp, smtpServers: options.smtpServers });
    this.#executors.register(createNotificationExecutor({ egress: options.egress, channels: options.notificationChannels, mailer }));
    this.#executors.register(createEmailExecutor({ mailer, templates: this.#templates.lookup }));
    this.#executors.register(createDatabaseExecutor({ connections: options.databases }));
    const commands = options.commands;
    this.#executors.register(createCommandExecutor({ egress: options.egress, commands }));
    this.#executors.register(createRemediationExecutor({ egress: options.egress, commands, audit: (entry) => this.#committer.submit(makeAuditEntry(options.clock, entry)) }));
    const llm = {
      llm: options.llm,
      egress: options.egress,
      tokens: { check: (tenantId: string, estimated: number) => this.checkTokenBudget(tenantId, estimated), record: (tenantId: string, input: number, output: number) => this.recordTokenUsage(tenantId, input, output) },
    };
    this.#executors.register(createLlmExecutor(llm));
    this.#executors.register(createAiAnalysisExecutor(llm));
    this.#executors.register(createMcpExecutor({ servers: options.mcpServers, egress: options.egress }));
    this.#agentTokenKey = callbackTokenKey(options.masterKey);
    const base = options.publicUrl;
    const tokenKey = this.#agentTokenKey;
    this.#executors.register(
      createAgentExecutor({
        agents: options.agents,
        callbackUrl: base === undefined ? undefined : (ctx) => `${base}${AGENT_CALLBACK_PATH}${signCallbackToken(tokenKey, { tenantId: ctx.tenantId, executionId: ctx.executionId, stepId: ctx.stepId, key: ctx.idempotencyKey })}`,
      }),
    );
    this.#executors.register(
      createSubworkflowExecutor({
        start: (tenantId, workflowId, input, opts) => this.#executions.start(tenantId, workflowId, input, opts),
        get: (tenantId, executionId) => this.#executions.get(tenantId, executionId),
      }),
    );
  }

  /** Opens the store (migrating it), creates the `default` tenant when missing, and returns a ready orchestrator. */
  static async open(options: OrchestratorOptions = {}): Promise<Orchestrator> {
    const resolved = resolveOptions(options);
    let store: Store;
    try {
      store = await openStore({ database: resolved.database, ...(resolved.schema ? { schema: resolved.schema } : {}), poolSize: resolved.poolSize, sealer: createAuditSealer(resolved.auditKey) });
    } catch (error) {
      // A key file made for a database that could not be opened must not pass for the original later.
      resolved.forgetCreatedKeyFile();
      throw error;
    }
    const orchestrator = new Orchestrator(resolved, store);
    try {
      if (resolved.keyFileCreated && (await store.listAuditHeads()).length > 0) {
        // A database with signed audit chains but a brand-new key file: the original key file was
        // lost or not copied. Carrying on would make every chain look forged.
        resolved.forgetCreatedKeyFile();
        throw new ConfigError("keyFile", `${resolved.keyFile} was missing and the database already has signed audit chains; restore the key file from backup (or pass auditKey) and open again`);
      }
      await orchestrator.#tenants.ensureDefaultTenant();
      if (resolved.startWorkers) await orchestrator.#engine.start();
      await orchestrator.#triggers.start();
    } catch (error) {
      await orchestrator.#triggers.stop().catch(() => {});
      await orchestrator.#engine.stop().catch(() => {});
      await store.close();
      throw error;
    }
    resolved.logger.info({ database: redactUrl(resolved.database), dialect: store.dialect }, "orchestrator opened");
    return orchestrator;
  }

  // --- tenants -----------------------------------------------------------------------------

  createTenant(tenantName: string, tier: TenantTier, actor?: Actor): Promise<string> {
    return this.#tenants.create(tenantName, tier, actor);
  }

  async getTenant(tenantId: string): Promise<Tenant> {
    this.#assertOpen();
    return this.#tenants.get(tenantId);
  }

  listTenants(options?: { includeDeleted?: boolean }): Promise<Tenant[]> {
    return this.#tenants.list(options);
  }

  /** Suspends the tenant and marks it deleted; its data stays until `purgeTenant` (SPEC D). */
  async deleteTenant(tenantId: string, actor?: Actor): Promise<Tenant> {
    const tenant = await this.#tenants.delete(tenantId, actor);
    await this.#apiKeys.revokeAll(tenantId, actor?.userId);
    this.#policyEngine.invalidate(tenantId);
    await this.#guard.forget(tenantId);
    this.#triggers.tenantStopped();
    return tenant;
  }

  purgeTenant(tenantId: string, actor?: Actor): Promise<void> {
    return this.#tenants.purge(tenantId, actor);
  }

  modifyQuota(tenantId: string, changes: Partial<ResourceQuota>, actor?: Actor): Promise<Tenant> {
    return this.#tenants.modifyQuota(tenantId, changes, actor);
  }

  /** A suspended tenant's requests are refused and its schedule and condition triggers stop (on every node). */
  async suspendTenant(tenantId: string, actor?: Actor): Promise<Tenant> {
    const tenant = await this.#tenants.suspend(tenantId, actor);
    this.#triggers.tenantStopped();
    return tenant;
  }

  /** Its schedules start again from now: the time suspended is not missed time. */
  async resumeTenant(tenantId: string, actor?: Actor): Promise<Tenant> {
    // Restarted first, while the tenant is still suspended, so no node fires a time missed meanwhile.
    return this.#tenants.resume(tenantId, actor, () => this.#triggers.tenantResuming(tenantId));
  }

  // --- execution and quotas ----------------------------------------------------------------

  /**
   * Runs `taskFunc` for the tenant (default: the `default` tenant) with the component's retry
   * policy. Refuses with RateLimitedError, ConcurrentLimitError or QuotaExceededError; otherwise
   * resolves with the result once its audit record is committed.
   */
  executeWithRetry<T>(taskFunc: TaskFunction<T>, componentId: string, tenantId: string = DEFAULT_TENANT_ID, options?: ExecuteOptions): Promise<ExecutionResult<T>> {
    if (this.#closed) return Promise.reject(new SynergyMeshError("STORE_UNAVAILABLE", "The orchestrator is closed"));
    const running = this.#runner.execute(taskFunc, componentId, tenantId, options);
    this.#running.add(running);
    const forget = () => this.#running.delete(running);
    running.then(forget, forget);
    return running;
  }

  /** Whether one more task (or request, for `rate_limit`) would be admitted now; takes nothing. */
  async checkResourceQuota(tenantId: string, quotaType: QuotaKind = "concurrent", request?: ResourceRequest): Promise<boolean> {
    this.#assertOpen();
    const tenant = await this.#tenants.getActiveRow(tenantId);
    return this.#guard.check(tenant, quotaType, request);
  }

  /** Adds LLM tokens to the tenant's UTC day (seed 004 `record_token_usage`). */
  recordTokenUsage(tenantId: string, inputTokens: number, outputTokens: number): Promise<TokenUsage> {
    return this.#tokens.record(tenantId, inputTokens, outputTokens);
  }

  getTokenUsage(tenantId: string): Promise<TokenUsage> {
    return this.#tokens.get(tenantId);
  }

  /** Throws QuotaExceededError when the tenant's daily token budget cannot cover `estimatedTokens` more. */
  checkTokenBudget(tenantId: string, estimatedTokens = 0): Promise<TokenUsage> {
    return this.#tokens.checkBudget(tenantId, estimatedTokens);
  }

  // --- workflows and executions -------------------------------------------------------------

  /** Adds a step type (seed 001 `RegisterStepExecutor`); built-in types are registered the same way. */
  registerStepExecutor(executor: StepExecutor, options?: { replace?: boolean }): void {
    this.#executors.register(executor, options);
  }

  /** Lifecycle events (`execution.started`, `execution.finished`, `step.started`, `step.finished`), after commit. */
  get events(): EngineEvents {
    return this.#engine.events;
  }

  /**
   * What the scheduler sees (for `/api/v1/scheduler/status`): this node (id, labels, concurrency,
   * running attempts, strategy) and, across all nodes, queues per tenant, live leases per node and
   * concurrency keys. With `tenantId`, only that tenant's queues, leases and keys.
   */
  async getSchedulerStatus(options: { tenantId?: string } = {}): Promise<SchedulerStatus> {
    this.#assertOpen();
    return { node: this.#engine.status(), ...(await this.#store.engine.schedulerSnapshot(this.#options.clock.now(), options.tenantId)) };
  }

  /** Seed 001 plugin hooks: onWorkflowStart, onStepStart, onStepComplete, onWorkflowComplete. */
  use(plugin: EnginePlugin): void {
    this.#engine.use(plugin);
  }

  /** Loads and validates a definition (YAML, JSON or an object) without storing it; throws every problem at once. */
  validateWorkflow(source: string | object): WorkflowDefinition {
    return this.#workflows.validate(source);
  }

  /**
   * Stores a definition for the tenant: a new workflow, or a new version when it changed. The
   * definition's schedule, webhook, event and condition triggers become the workflow's definition
   * triggers (docs/triggers.md); they fire while the workflow is `active`.
   */
  async registerWorkflow(source: string | object, options: RegisterWorkflowOptions & { tenantId?: string } = {}): Promise<RegisteredWorkflow> {
    const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    await this.#tenants.getActiveRow(tenantId);
    // Trigger configs and webhook paths are checked before anything is saved, with their definition
    // paths: a definition refused here leaves the workflow as it was. (The sync checks the paths
    // again in its transaction, for a path taken in between.)
    const validated = this.#workflows.validate(source);
    await this.#triggers.triggers.checkDefinition(tenantId, options.workflowId ?? validated.id, validated);
    const registered = await this.#workflows.register(tenantId, source, options);
    const { definition } = await this.#workflows.definition(tenantId, registered.workflowId, registered.version);
    await this.#triggers.syncDefinitionTriggers(tenantId, registered.workflowId, definition, options.userId);
    return registered;
  }

  getWorkflow(workflowId: string, tenantId: string = DEFAULT_TENANT_ID): Promise<WorkflowRow> {
    return this.#workflows.get(tenantId, workflowId);
  }

  getWorkflowDefinition(workflowId: string, options: { tenantId?: string; version?: number } = {}) {
    return this.#workflows.definition(options.tenantId ?? DEFAULT_TENANT_ID, workflowId, options.version);
  }

  listWorkflowVersions(workflowId: string, tenantId: string = DEFAULT_TENANT_ID) {
    return this.#workflows.versions(tenantId, workflowId);
  }

  listWorkflows(tenantId: string = DEFAULT_TENANT_ID, filter?: { status?: WorkflowStatus; ownerId?: string; tag?: string }): Promise<WorkflowRow[]> {
    return this.#workflows.list(tenantId, filter);
  }

  /** Changes a workflow's state: `active` (triggers fire), `paused`, `archived` (DELETE), or back to `draft`. */
  setWorkflowStatus(workflowId: string, status: WorkflowStatus, tenantId: string = DEFAULT_TENANT_ID, userId?: string): Promise<WorkflowRow> {
    return this.#workflows.setStatus(tenantId, workflowId, status, userId);
  }

  /** Starts an execution of the workflow's current (or a pinned) version; resolves once it is committed. */
  async startExecution(workflowId: string, input: Record<string, unknown> = {}, options: StartExecutionOptions & { tenantId?: string } = {}): Promise<{ executionId: string; created: boolean }> {
    this.#assertOpen();
    const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    await this.#tenants.getActiveRow(tenantId);
    return this.#executions.start(tenantId, workflowId, input, options);
  }

  getExecution(executionId: string, tenantId: string = DEFAULT_TENANT_ID): Promise<ExecutionDetails> {
    return this.#executions.get(tenantId, executionId);
  }

  /** Newest first; `before` continues after the last execution of a previous page (cursor pagination). */
  listExecutions(tenantId: string = DEFAULT_TENANT_ID, filter?: { workflowId?: string; status?: ExecutionStatus; limit?: number; before?: { createdAt: number; executionId: string } }): Promise<ExecutionRow[]> {
    return this.#executions.list(tenantId, filter);
  }

  getExecutionLogs(executionId: string, options: { tenantId?: string; stepId?: string } = {}): Promise<LogRow[]> {
    return this.#executions.logs(options.tenantId ?? DEFAULT_TENANT_ID, executionId, options.stepId !== undefined ? { stepId: options.stepId } : {});
  }

  cancelExecution(executionId: string, options: { tenantId?: string; userId?: string } = {}): Promise<ExecutionRow> {
    return this.#executions.cancel(options.tenantId ?? DEFAULT_TENANT_ID, executionId, options.userId);
  }

  /** Pause: no new step starts; running steps finish. */
  pauseExecution(executionId: string, options: { tenantId?: string; userId?: string } = {}): Promise<ExecutionRow> {
    return this.#executions.pause(options.tenantId ?? DEFAULT_TENANT_ID, executionId, options.userId);
  }

  resumeExecution(executionId: string, options: { tenantId?: string; userId?: string } = {}): Promise<ExecutionRow> {
    return this.#executions.resume(options.tenantId ?? DEFAULT_TENANT_ID, executionId, options.userId);
  }

  /** Runs a failed, timed-out or cancelled execution again from its failed steps, keeping finished outputs. */
  retryExecution(executionId: string, options: { tenantId?: string; userId?: string } = {}): Promise<ExecutionRow> {
    return this.#executions.retry(options.tenantId ?? DEFAULT_TENANT_ID, executionId, options.userId);
  }

  /** Runs one failed step execution again (and the steps it had kept from running). */
  retryStepExecution(stepExecutionId: string, options: { tenantId?: string; userId?: string } = {}): Promise<ExecutionRow> {
    return this.#executions.retryStep(options.tenantId ?? DEFAULT_TENANT_ID, stepExecutionId, options.userId);
  }

  /** Approves or rejects a waiting `approval` step; the step then completes (approved) or fails (rejected). */
  decideApproval(executionId: string, stepId: string, decision: { approved: boolean; comment?: string; userId?: string; groups?: string[]; tenantId?: string }): Promise<ExecutionRow> {
    return this.#executions.decideApproval(decision.tenantId ?? DEFAULT_TENANT_ID, executionId, stepId, decision);
  }

  /** Resolves when the execution has ended, with its final state and steps. */
  waitForExecution(executionId: string, options: { tenantId?: string; signal?: AbortSignal } = {}): Promise<ExecutionDetails> {
    return this.#executions.wait(options.tenantId ?? DEFAULT_TENANT_ID, executionId, options.signal ? { signal: options.signal } : {});
  }

  /**
   * An agent's result callback (the server's `POST /api/v1/agent-callbacks/<token>`): checks the
   * token and the agent's Standard Webhooks signature over the raw body, then resumes the waiting
   * `agent` step with `{ status, output, error }`. A bad token, or another tenant's task when
   * `tenantId` is given, answers NOT_FOUND; a bad signature UNAUTHENTICATED.
   */
  completeAgentTask(token: string, request: AgentCallbackRequest, options: { tenantId?: string } = {}): Promise<{ tenantId: string; executionId: string; stepId: string }> {
    this.#assertOpen();
    return completeAgentTask(
      {
        tokenKey: this.#agentTokenKey,
        agents: this.#options.agents,
        nowMs: () => this.#options.clock.now(),
        waitingState: async (tenantId, executionId, stepId) => {
          const execution = await this.#executions.get(tenantId, executionId).catch((error: unknown) => {
            if (error instanceof NotFoundError) return undefined;
            throw error;
          });
          return execution?.steps.find((step) => step.stepId === stepId && step.status === "waiting")?.output;
        },
        resume: (tenantId, executionId, stepId, update) => this.#executions.resumeWaitingStep(tenantId, executionId, stepId, "agent", "agent_callback", "agent", update),
      },
      token,
      request,
      options.tenantId,
    );
  }

  // --- triggers, events and diagnosis strategies (docs/triggers.md) -----------------------

  /** Creates an API trigger (schedule, webhook, event, condition) of one of the tenant's workflows. */
  createTrigger(input: CreateTriggerInput, options: { tenantId?: string; userId?: string } = {}): Promise<Trigger> {
    return this.#triggers.createTrigger(options.tenantId ?? DEFAULT_TENANT_ID, input, options.userId);
  }

  /** A trigger with its next fire times; another tenant's answers NOT_FOUND. */
  getTrigger(triggerId: string, tenantId: string = DEFAULT_TENANT_ID): Promise<Trigger> {
    return this.#triggers.triggers.get(tenantId, triggerId);
  }

  listTriggers(tenantId: string = DEFAULT_TENANT_ID, filter?: { workflowId?: string; type?: TriggerType }): Promise<Trigger[]> {
    return this.#triggers.listTriggers(tenantId, filter);
  }

  /** Changes an API trigger's name, config or enabled flag (definition triggers change with their definition). */
  updateTrigger(triggerId: string, changes: UpdateTriggerInput, options: { tenantId?: string; userId?: string } = {}): Promise<Trigger> {
    return this.#triggers.updateTrigger(options.tenantId ?? DEFAULT_TENANT_ID, triggerId, changes, options.userId);
  }

  deleteTrigger(triggerId: string, options: { tenantId?: string; userId?: string } = {}): Promise<void> {
    return this.#triggers.triggers.delete(options.tenantId ?? DEFAULT_TENANT_ID, triggerId, options.userId);
  }

  /** Fires the schedules and checks the conditions due now, once (for nodes with `triggers.enabled: false`). */
  runDueTriggers(): Promise<void> {
    this.#assertOpen();
    return this.#triggers.runDueTriggers();
  }

  /** A trigger's recorded fires (schedule triggers), newest first. */
  listTriggerFires(triggerId: string, options: { tenantId?: string; limit?: number } = {}): Promise<TriggerFireRow[]> {
    return this.#triggers.listTriggerFires(options.tenantId ?? DEFAULT_TENANT_ID, triggerId, options.limit);
  }

  /** `POST /hooks/<tenant>/<path>`: verifies and starts the workflow; a repeated webhook-id returns the first execution. */
  deliverWebhook(tenantId: string, path: string, delivery: WebhookDelivery): Promise<WebhookResult> {
    this.#assertOpen();
    return this.#triggers.deliverWebhook(tenantId, path, delivery);
  }

  /** `POST /api/v1/events`: routes a named event to the tenant's event triggers and diagnosis strategies. */
  publishEvent(tenantId: string, event: EventInput): Promise<PublishedEvent> {
    this.#assertOpen();
    return this.#triggers.publishEvent(tenantId, event);
  }

  /** Calls `listener` with every routed tenant event (API, bus or NATS); returns the unsubscribe function. */
  subscribeEvents(listener: EventListener): () => void {
    return this.#triggers.subscribeEvents(listener);
  }

  /** `trigger.fired` and `trigger.checked`, on the node that handled them. */
  get triggerEvents(): TriggerEvents {
    return this.#triggers.events;
  }

  /** Creates a diagnosis strategy; its workflow must be one of the tenant's (NOT_FOUND otherwise). */
  createStrategy(input: StrategyInput | Record<string, unknown>, options: { tenantId?: string; userId?: string } = {}): Promise<Strategy> {
    return this.#withActiveTenant(options.tenantId, async (tenantId) => {
      await this.#strategyWorkflowExists(tenantId, checkStrategyInput(input));
      return this.#triggers.strategies.create(tenantId, input, options.userId);
    });
  }

  getStrategy(strategyId: string, tenantId: string = DEFAULT_TENANT_ID): Promise<Strategy> {
    return this.#triggers.strategies.get(tenantId, strategyId);
  }

  /** The tenant's strategies, highest priority first. */
  listStrategies(tenantId: string = DEFAULT_TENANT_ID): Promise<Strategy[]> {
    return this.#triggers.strategies.list(tenantId);
  }

  updateStrategy(strategyId: string, changes: Partial<StrategyInput> | Record<string, unknown>, options: { tenantId?: string; userId?: string } = {}): Promise<Strategy> {
    return this.#withActiveTenant(options.tenantId, async (tenantId) => {
      await this.#strategyWorkflowExists(tenantId, checkStrategyInput(changes, { partial: true }));
      return this.#triggers.strategies.update(tenantId, strategyId, changes, options.userId);
    });
  }

  /** A strategy may only start a workflow of its own tenant: another tenant's id answers like a missing one. */
  async #strategyWorkflowExists(tenantId: string, input: Partial<StrategyInput>): Promise<void> {
    if (input.workflowId !== undefined) await this.#workflows.get(tenantId, input.workflowId);
  }

  deleteStrategy(strategyId: string, options: { tenantId?: string; userId?: string } = {}): Promise<void> {
    return this.#triggers.strategies.delete(options.tenantId ?? DEFAULT_TENANT_ID, strategyId, options.userId);
  }

  /** Adds seed 003's Kubernetes strategies (CrashLoopBackOff, NodeNotReady, OOMKilling, FailedBinding) the tenant lacks. */
  installBuiltinStrategies(tenantId: string = DEFAULT_TENANT_ID, userId?: string): Promise<Strategy[]> {
    return this.#withActiveTenant(tenantId, (id) => this.#triggers.strategies.installBuiltins(id, userId));
  }

  // --- secrets -----------------------------------------------------------------------------

  /** Stores a secret for `{{secrets.<name>}}`, encrypted at rest; the value can never be read back. */
  async setSecret(name: string, value: string, options: { tenantId?: string; userId?: string } = {}): Promise<{ created: boolean }> {
    const tenantId = options.tenantId ?? DEFAULT_TENANT_ID;
    await this.#tenants.getActiveRow(tenantId);
    return this.#secrets.set(tenantId, name, value, options.userId);
  }

  /** Names and times of the tenant's secrets (never values). */
  listSecrets(tenantId: string = DEFAULT_TENANT_ID) {
    return this.#secrets.list(tenantId);
  }

  deleteSecret(name: string, options: { tenantId?: string; userId?: string } = {}): Promise<void> {
    return this.#secrets.delete(options.tenantId ?? DEFAULT_TENANT_ID, name, options.userId);
  }

  // --- access and tenant content (the server's objects) ---------------------------------

  /** Creates a tenant API key (`owner`, `operator`, `viewer`); `key` is returned this once and stored as a hash. */
  async createApiKey(tenantId: string, input: CreateApiKeyInput, actor?: Actor): Promise<ApiKeyInfo & { key: string }> {
    await this.#tenants.getActiveRow(tenantId);
    return this.#apiKeys.create(tenantId, input, actor?.userId);
  }
  listApiKeys(tenantId: string): Promise<ApiKeyInfo[]> {
    return this.#apiKeys.list(tenantId);
  }
  revokeApiKey(tenantId: string, keyId: string, actor?: Actor): Promise<ApiKeyInfo> {
    return this.#apiKeys.revoke(tenantId, keyId, actor?.userId);
  }
  /** The principal a presented key proves (undefined: unknown, revoked, expired). */
  authenticateApiKey(key: string): Promise<ApiPrincipal | undefined> {
    return this.#apiKeys.authenticate(key);
  }
  /** Registers the configured platform admin key, or generates one when none exists (returned once). */
  ensureAdminKey(configured?: string): Promise<{ key?: string; created: boolean }> {
    return this.#apiKeys.ensureAdminKey(configured);
  }

  setPolicy(tenantId: string, policy: { name: string; description?: string; statements: PolicyStatement[] }, actor?: Actor): Promise<{ created: boolean }> {
    return this.#policies.set(tenantId, policy, actor?.userId);
  }
  getPolicy(tenantId: string, name: string): Promise<TenantPolicy> {
    return this.#policies.get(tenantId, name);
  }
  listPolicies(tenantId: string): Promise<TenantPolicy[]> {
    return this.#policies.list(tenantId);
  }
  deletePolicy(tenantId: string, name: string, actor?: Actor): Promise<void> {
    return this.#policies.delete(tenantId, name, actor?.userId);
  }
  /** `{ allowed, reason, matched }` for the request: role defaults plus the tenant's policies, deny wins. */
  evaluatePolicy(request: PolicyRequest): Promise<PolicyDecision> {
    return this.#policyEngine.evaluate(request);
  }
  /** Throws POLICY_DENIED (and audits the denial) unless the request is allowed. */
  requirePermission(request: PolicyRequest): Promise<PolicyDecision> {
    return this.#policyEngine.requirePermission(request);
  }

  setScript(tenantId: string, script: { name: string; runtime: string; code: string }, actor?: Actor): Promise<{ created: boolean }> {
    return this.#scriptLibrary.set(tenantId, script, actor?.userId);
  }
  getScript(tenantId: string, name: string): Promise<LibraryScript> {
    return this.#scriptLibrary.get(tenantId, name);
  }
  listScripts(tenantId: string): Promise<LibraryScript[]> {
    return this.#scriptLibrary.list(tenantId);
  }
  deleteScript(tenantId: string, name: string, actor?: Actor): Promise<void> {
    return this.#scriptLibrary.delete(tenantId, name, actor?.userId);
  }

  setMessageTemplate(tenantId: string, template: { name: string } & MessageTemplateContent, actor?: Actor): Promise<{ created: boolean }> {
    return this.#templates.set(tenantId, template, actor?.userId);
  }
  getMessageTemplate(tenantId: string, name: string): Promise<MessageTemplate> {
    return this.#templates.get(tenantId, name);
  }
  listMessageTemplates(tenantId: string): Promise<MessageTemplate[]> {
    return this.#templates.list(tenantId);
  }
  deleteMessageTemplate(tenantId: string, name: string, actor?: Actor): Promise<void> {
    return this.#templates.delete(tenantId, name, actor?.userId);
  }
  /** `(tenantId, name) => template | undefined`, for e-mail and notification steps. */
  get messageTemplateLookup(): MessageTemplateLookup {
    return this.#templates.lookup;
  }

  /** One request admission for an active tenant (the server calls it per request); throws RATE_LIMITED. */
  async admitRequest(tenantId: string): Promise<LimitDecision> {
    this.#assertOpen();
    return this.#guard.admit(await this.#tenants.getActiveRow(tenantId));
  }

  async getStepExecution(stepExecutionId: string, tenantId: string = DEFAULT_TENANT_ID): Promise<StepRow> {
    const row = await this.#store.engine.findStepExecution(tenantId, stepExecutionId);
    if (!row) throw new NotFoundError("step execution", stepExecutionId);
    return row;
  }

  /** Seed 001's `/health`: `healthy` when the store answers and this node claims work (unless it only submits). */
  async getHealth(): Promise<{ status: "healthy" | "unhealthy"; checks: Record<string, string>; stats: Record<string, number> }> {
    const workers = this.#engine.workers;
    const scheduler = workers.claiming || !this.#options.startWorkers ? "ok" : "stopped";
    try {
      const counts = await this.#store.access.platformCounts();
      const stats = { active_executions: counts.running + counts.paused, queued_executions: counts.pending, total_workflows: counts.workflows, active_workflows: counts.activeWorkflows };
      return { status: scheduler === "ok" && !this.#closed ? "healthy" : "unhealthy", checks: { database: "ok", scheduler, executor: "ok" }, stats };
    } catch {
      return { status: "unhealthy", checks: { database: "unavailable", scheduler, executor: "ok" }, stats: {} };
    }
  }

  // --- metrics and health ------------------------------------------------------------------

  async getMetrics(): Promise<OrchestratorMetrics> {
    const [stats, registeredTenants] = await Promise.all([this.#store.getExecutionStats(), this.#tenants.count()]);
    return {
      totalExecutions: stats.total,
      successfulExecutions: stats.successful,
      failedExecutions: stats.failed,
      successRate: stats.total ? (stats.successful / stats.total) * 100 : 0,
      averageExecutionTimeMs: stats.total ? stats.durationMs / stats.total : 0,
      totalRetryAttempts: stats.retries,
      activeTasks: this.#guard.ledger.totalTasks(),
      registeredTenants,
    };
  }

  async getTenantHealth(tenantId: string): Promise<TenantHealth> {
    const tenant = await this.#tenants.getRow(tenantId);
    const stats = await this.#store.getExecutionStats(tenantId);
    const usage = this.#guard.ledger.usage(tenantId);
    const now = this.#options.clock.now();
    return {
      tenantId,
      status: tenant.deletedAt !== null ? "deleted" : tenant.status,
      uptimePercent: stats.total ? (stats.successful / stats.total) * 100 : 100,
      totalExecutions: stats.total,
      successful: stats.successful,
      failed: stats.failed,
      timeouts: stats.timeouts,
      retryAttempts: stats.retries,
      averageExecutionTimeMs: stats.total ? stats.durationMs / stats.total : 0,
      activeTasks: usage.tasks,
      usage: { concurrentTasks: usage.tasks, memoryMb: usage.memoryMb, cpuPercent: usage.cpuPercent, tasksLastHour: this.#guard.hourly.peek(tenantId, Infinity, now).used },
      quota: { ...tenant.quota },
    };
  }

  // --- audit -------------------------------------------------------------------------------

  /** The tenant's audit records of the last `hours` (default 24), newest first. */
  async getAuditLogs(tenantId: string, query: AuditLogQuery = {}): Promise<AuditLog[]> {
    const hours = query.hours ?? 24;
    if (typeof hours !== "number" || !(hours > 0)) throw new ValidationError([{ path: "hours", message: "must be a positive number" }]);
    // No tenant lookup: a purged tenant's records stay readable until retention removes them.
    const rows = await this.#store.queryAudit({
      tenantId,
      since: this.#options.clock.now() - hours * 3_600_000,
      ...(query.action !== undefined ? { action: query.action } : {}),
      ...(query.status !== undefined ? { status: query.status } : {}),
      ...(query.componentId !== undefined ? { componentId: query.componentId } : {}),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
    });
    return rows.map(toAuditLog);
  }

  /** The same records as getAuditLogs, as RFC 4180 CSV or as JSON. */
  async exportAuditLogs(tenantId: string, format: "csv" | "json", query: AuditLogQuery & { bom?: boolean } = {}): Promise<string> {
    if (format !== "csv" && format !== "json") throw new ValidationError([{ path: "format", message: "must be csv or json" }]);
    const logs = await this.getAuditLogs(tenantId, query);
    return format === "csv" ? auditLogsToCsv(logs, { bom: query.bom ?? false }) : auditLogsToJson(logs);
  }

  /** Recomputes every chain (or one tenant's) and checks the signed heads; reports the first broken record. */
  async verifyAuditChain(tenantId?: string): Promise<AuditVerification> {
    await this.#committer.drain();
    return verifyAuditChain(this.#store, this.#options.auditKey, tenantId);
  }

  /** Applies retention: standard records older than 90 days, sensitive ones older than 1 year. */
  async purgeAuditLogs(): Promise<number> {
    await this.#committer.drain();
    const now = this.#options.clock.now();
    return this.#store.purgeAudit({ standard: now - STANDARD_RETENTION_MS, sensitive: now - SENSITIVE_RETENTION_MS });
  }

  // --- lifecycle ---------------------------------------------------------------------------

  /** Commits what is pending and closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Running calls end as cancelled (their attempts' signals abort) and still commit their records.
    this.#runner.shutdown(new CancelledError("The orchestrator is closing"));
    await Promise.allSettled([...this.#running]);
    await this.#triggers.stop();
    await this.#engine.stop();
    await this.#scripts.close();
    await this.#committer.drain();
    await this.#store.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new SynergyMeshError("STORE_UNAVAILABLE", "The orchestrator is closed");
  }

  async #withActiveTenant<T>(tenantId: string | undefined, fn: (tenantId: string) => Promise<T>): Promise<T> {
    const id = tenantId ?? DEFAULT_TENANT_ID;
    await this.#tenants.getActiveRow(id);
    return fn(id);
  }

  /** What condition triggers see as `metrics` (snake_case, like the REST API). */
  async #tenantMetrics(tenantId: string): Promise<Record<string, unknown>> {
    const h = await this.getTenantHealth(tenantId);
    return {
      total_executions: h.totalExecutions,
      successful_executions: h.successful,
      failed_executions: h.failed,
      timeouts: h.timeouts,
      success_rate: h.uptimePercent,
      retry_attempts: h.retryAttempts,
      average_execution_ms: h.averageExecutionTimeMs,
      active_tasks: h.activeTasks,
      tasks_last_hour: h.usage.tasksLastHour,
    };
  }

}
