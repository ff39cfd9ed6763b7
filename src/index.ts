// The public API of the `synergymesh` package. Everything a user may import is named here.
export { Orchestrator } from "./orchestrator.js";
export type { OrchestratorMetrics, TenantHealth, AuditLogQuery, TokenUsage, SchedulerStatus } from "./orchestrator.js";
export { API_KEY_ROLES } from "./tenancy/api-key-service.js";
export type { ApiKeyInfo, ApiKeyRole, ApiPrincipal, CreateApiKeyInput } from "./tenancy/api-key-service.js";
export { PolicyEngine, ROLE_STATEMENTS } from "./tenancy/policy-engine.js";
export type { PolicyEngineOptions } from "./tenancy/policy-engine.js";
export type { TenantPolicy } from "./tenancy/policy-service.js";
export type { PolicyAction, PolicyDecision, PolicyPrincipal, PolicyRequest, PolicyRole, PolicyStatement, PolicyStatementSource } from "./tenancy/policy-types.js";
export type { LibraryScript } from "./content/script-library.js";
export type { MessageTemplate, MessageTemplateContent, MessageTemplateLookup } from "./content/message-templates.js";
export { toCanonicalDefinition } from "./workflow/canonical-definition.js";
export type { SchedulerSnapshot, TenantQueue, NodeLeases, ConcurrencyKeyStatus } from "./store/scheduler-status.js";
export type { SchedulerStrategy } from "./config/options.js";
export { SCHEDULER_STRATEGIES } from "./config/options.js";
export { TIER_WEIGHTS } from "./scheduling/tier-weights.js";
export type { LlmOptions, LlmProviderOptions } from "./executors/llm/llm-options.js";
export type { AgentServiceOptions } from "./executors/agent/agent-options.js";
export type { AgentCallbackRequest } from "./executors/agent/agent-completion.js";
export { AGENT_CALLBACK_PATH } from "./executors/agent/agent-completion.js";
export type { McpServerOptions, McpStdioServerOptions, McpHttpServerOptions } from "./executors/mcp/mcp-options.js";
export type { PythonOptions } from "./executors/script/script-config.js";
export type { OrchestratorOptions, TriggerOptions } from "./config/options.js";
export type { PublishedEvent } from "./orchestrator-triggers.js";
export type { Trigger, CreateTriggerInput, UpdateTriggerInput, TriggerType, TriggerSource, FireStatus, TriggerFiredEvent, TriggerEventMap, TriggerEvents } from "./triggers/trigger-types.js";
export type { TriggerFireRow } from "./store/trigger-store.js";
export type { WebhookDelivery, WebhookResult } from "./triggers/webhook/webhook-receiver.js";
export type { EventRouteResult, RoutedExecution } from "./triggers/event/event-router.js";
export type { CatchUpPolicy } from "./triggers/cron/cron-schedule.js";
export { nextFireTimes } from "./triggers/cron/cron-schedule.js";
export type { EventInput, TenantEvent } from "./events/tenant-event.js";
export type { EventListener } from "./events/event-bus.js";
export type { NatsOptions, NatsSubscriptionOptions } from "./events/nats-bridge.js";
export type { Strategy, StrategyInput, Symptom } from "./strategies/strategy-model.js";
export { BUILTIN_STRATEGIES } from "./strategies/builtin-strategies.js";
export { TenantTier, TIER_QUOTAS, TIER_FEATURES, DEFAULT_RESOURCE_REQUEST } from "./tenancy/tiers.js";
export type { Tenant, TenantStatus, ResourceQuota, ResourceRequest } from "./tenancy/tiers.js";
export type { Actor } from "./tenancy/tenant-service.js";
export type { QuotaKind } from "./tenancy/quota-guard.js";
export { SlidingWindowRateLimiter } from "./tenancy/rate-limiter.js";
export type { RateLimiter, LimitDecision } from "./tenancy/rate-limiter.js";
export type { ExecutionResult, ExecutionStatus, ExecuteOptions, TaskContext, TaskFunction } from "./engine/execute-with-retry.js";
export { RetryPolicyRegistry } from "./engine/retry-policy-registry.js";
export { DEFAULT_RETRY_POLICY, backoffDelay } from "./core/retry.js";
export type { RetryPolicy, RetryPolicyInput } from "./core/retry.js";
export type { AuditLog } from "./audit/audit-log.js";
export { StepExecutorRegistry, WaitRequest, branchResult } from "./engine/step-executor.js";
export type { StepContext, StepExecutor, BranchResult } from "./engine/step-executor.js";
export type { EngineEventMap, EnginePlugin } from "./engine/engine-events.js";
export type { ExecutionDetails, StartExecutionOptions } from "./engine/execution-service.js";
export type { RegisterWorkflowOptions, RegisteredWorkflow } from "./engine/workflow-service.js";
export type { ExecutionRow, StepRow, LogRow, WorkflowRow, WorkflowStatus, StepStatus, ExecutionStatus as WorkflowExecutionStatus } from "./store/engine-store.js";
export { parseDefinition, unwrapCreateBody, validateDefinition, definitionJsonSchema, buildStepGraph } from "./workflow/index.js";
export { checkDefinition, requireValidDefinition } from "./workflow/check-definition.js";
export { renderTemplate, renderWithSecrets, checkTemplate } from "./workflow/templates.js";
export { evaluateExpression, evaluateCondition, checkExpression, buildExpressionContext } from "./workflow/expressions.js";
export { Redactor } from "./workflow/redactor.js";
export { createEgressFetch, EgressDeniedError } from "./net/egress-policy.js";
export type { EgressPolicy } from "./net/egress-policy.js";
// Operator configuration of the integration step types (OrchestratorOptions smtp, databases, commands, agentManager).
export type { SmtpServer, Mailer, MailMessage, EmailOutput } from "./executors/email/mailer.js";
export { createMailer } from "./executors/email/mailer.js";
export { createEmailExecutor } from "./executors/email/email-executor.js";
export type { EmailTemplate, EmailTemplateLookup, EmailExecutorOptions } from "./executors/email/email-executor.js";
export type { DatabaseConnection } from "./config/database-options.js";
export type { CommandOptions, CommandProgram, AgentManagerOptions } from "./config/command-options.js";
export type { Credential } from "./config/credential.js";
export type { WorkflowDefinition, StepDefinition, TriggerDefinition, StepRetry } from "./workflow/model.js";
export type { AuditVerification, AuditChainBreak } from "./audit/verify-audit-chain.js";
export { SENSITIVE_ACTIONS, STANDARD_RETENTION_MS, SENSITIVE_RETENTION_MS } from "./audit/audit-actions.js";
export type { Clock } from "./core/clock.js";
export { systemClock } from "./core/clock.js";
export type { Logger } from "./telemetry/logger.js";
export { DEFAULT_TENANT_ID } from "./core/ids.js";
export { parseDuration } from "./core/duration.js";
export {
  ERROR_REGISTRY,
  SynergyMeshError,
  ValidationError,
  TenantNotFoundError,
  TenantInactiveError,
  NotFoundError,
  ConflictError,
  RateLimitedError,
  QuotaExceededError,
  ConcurrentLimitError,
  PolicyDeniedError,
  ConfigError,
  TimeoutError,
  CancelledError,
  NonRetryableError,
  RetryAfterError,
  isSynergyMeshError,
} from "./core/errors.js";
export type { ErrorCode, ErrorJSON, ValidationIssue } from "./core/errors.js";
