// One model call of an `llm` or `ai_analysis` step: picks the provider (operator-configured, or a
// tenant-given base URL under the tenant's egress policy), reads its key, checks the tenant's daily
// token budget before calling and records the tokens used after.
import { NonRetryableError, ValidationError } from "../../core/errors.js";
import type { StepContext } from "../../engine/step-executor.js";
import type { EgressPolicy } from "../../net/egress-policy.js";
import { chatCompletion } from "./chat-client.js";
import type { ChatMessage, ChatResult, ChatTarget, ChatUsage } from "./chat-client.js";
import type { ResolvedLlmOptions, TokenBudget } from "./llm-options.js";
import { DEFAULT_LLM_TIMEOUT_MS } from "./llm-options.js";

export interface LlmDependencies {
  readonly llm: ResolvedLlmOptions;
  /** The tenant's egress policy, for a `base_url` the step gives itself. */
  readonly egress: (tenantId: string) => EgressPolicy | Promise<EgressPolicy>;
  /** Absent: no budget is checked or recorded (a bare executor in a test of something else). */
  readonly tokens?: TokenBudget | undefined;
}

export interface ModelCall {
  provider?: string | undefined;
  base_url?: string | undefined;
  api_key?: string | undefined;
  model?: string | undefined;
  messages: ChatMessage[];
  max_tokens?: number | undefined;
  temperature?: number | undefined;
  response_format?: Record<string, unknown> | undefined;
  stream?: boolean | undefined;
  /** The step config's `timeout`: replaces the provider's time limit for this call. */
  timeoutMs?: number | undefined;
}

export interface ModelAnswer extends ChatResult {
  provider: string;
  usage: ChatUsage & { estimated?: true };
}

/** A rough count for the budget check and for providers that report no usage: ~4 characters a token. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

async function target(ctx: StepContext, deps: LlmDependencies, call: ModelCall): Promise<{ target: ChatTarget; name: string; defaultModel: string | undefined }> {
  if (call.base_url !== undefined) {
    // A tenant-given endpoint: the tenant's egress policy applies, and the key comes from the config (a {{secrets.x}}).
    return {
      name: new URL(call.base_url).host,
      defaultModel: undefined,
      target: { baseUrl: call.base_url.replace(/\/+$/, ""), apiKey: call.api_key, headers: {}, timeoutMs: DEFAULT_LLM_TIMEOUT_MS, egress: await deps.egress(ctx.tenantId), policyPath: `egress policy of tenant ${ctx.tenantId}` },
    };
  }
  const configured = Object.keys(deps.llm.providers);
  const name = call.provider ?? deps.llm.defaultProvider;
  if (name === undefined) {
    throw new NonRetryableError(
      configured.length === 0
        ? "no LLM provider is configured on this orchestrator (OrchestratorOptions.llm.providers); configure one, or give config.base_url"
        : `config.provider is required: several LLM providers are configured (${configured.join(", ")}) and none is the default`,
    );
  }
  const provider = deps.llm.providers[name];
  if (!provider) throw new ValidationError([{ path: "config.provider", message: `names no configured LLM provider; configured: ${configured.join(", ") || "none"}` }]);
  let apiKey = call.api_key ?? provider.apiKey;
  if (call.api_key === undefined && provider.apiKeySecret !== undefined) {
    apiKey = await ctx.secret(provider.apiKeySecret);
    if (apiKey === undefined) throw new NonRetryableError(`the LLM provider ${name} takes its key from the tenant's secret ${JSON.stringify(provider.apiKeySecret)}, which this tenant does not have; set it first`);
  }
  return {
    name,
    defaultModel: provider.defaultModel,
    target: { baseUrl: provider.baseUrl, apiKey, headers: provider.headers ?? {}, timeoutMs: provider.timeoutMs, egress: provider.egress ?? {}, policyPath: `llm provider ${name}` },
  };
}

export async function callModel(ctx: StepContext, deps: LlmDependencies, call: ModelCall): Promise<ModelAnswer> {
  const chosen = await target(ctx, deps, call);
  if (call.timeoutMs !== undefined) chosen.target.timeoutMs = call.timeoutMs;
  const model = call.model ?? chosen.defaultModel;
  if (model === undefined) throw new ValidationError([{ path: "config.model", message: `required: the provider ${chosen.name} has no default model` }]);
  const promptTokens = estimateTokens(call.messages.map((m) => m.content).join("\n"));
  // Refused before anything is sent: a prompt the budget cannot pay for costs nothing.
  await deps.tokens?.check(ctx.tenantId, promptTokens + (call.max_tokens ?? 0));
  const answer = await chatCompletion(ctx, chosen.target, {
    model,
    messages: call.messages,
    ...(call.max_tokens !== undefined ? { max_tokens: call.max_tokens } : {}),
    ...(call.temperature !== undefined ? { temperature: call.temperature } : {}),
    ...(call.response_format !== undefined ? { response_format: call.response_format } : {}),
    stream: call.stream ?? false,
  });
  const usage: ModelAnswer["usage"] = answer.usage ?? { prompt_tokens: promptTokens, completion_tokens: estimateTokens(answer.content), total_tokens: 0, estimated: true };
  if (usage.estimated) usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  await deps.tokens?.record(ctx.tenantId, usage.prompt_tokens, usage.completion_tokens);
  ctx.log("info", `${chosen.name} ${answer.model}: ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens${usage.estimated ? " (estimated)" : ""}, finish ${answer.finish_reason ?? "unknown"}`);
  return { ...answer, usage, provider: chosen.name };
}
