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
export type { OrchestratorOptions } from "./config/options.js";
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
