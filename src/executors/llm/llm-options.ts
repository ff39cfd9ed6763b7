// Operator configuration of the LLM providers that `llm` and `ai_analysis` steps call (OrchestratorOptions
// `llm`), checked once when the orchestrator opens, and the narrow token-budget functions they use.
import { ConfigError } from "../../core/errors.js";
import type { EgressPolicy } from "../../net/egress-policy.js";

export interface LlmProviderOptions {
  /** The OpenAI-compatible API root, e.g. `https://api.openai.com/v1`; steps POST to `<baseUrl>/chat/completions`. */
  baseUrl: string;
  /** The model when a step names none. */
  defaultModel?: string;
  /** The API key, given by the operator. */
  apiKey?: string;
  /** Or: the name of a tenant secret holding the key, read when the step runs (each tenant brings its own key). */
  apiKeySecret?: string;
  /** Extra request headers (e.g. an organisation header). */
  headers?: Record<string, string>;
  /** Time limit of one call (default 120 000 ms); the step's `timeout` applies too. */
  timeoutMs?: number;
  /**
   * The provider is trusted by config, so the tenant's egress policy does not apply to it; this
   * policy does (default: refuse loopback, private and metadata addresses). A local model server
   * (`http://127.0.0.1:11434/v1`) needs `{ allow: ["127.0.0.1"] }`.
   */
  egress?: EgressPolicy;
}

export interface LlmOptions {
  /** Named providers (`openai`, `local`, ...). */
  providers?: Record<string, LlmProviderOptions>;
  /** The provider of steps that name none (default: the only one, or `default`). */
  defaultProvider?: string;
}

export interface ResolvedLlmProvider extends Omit<LlmProviderOptions, "timeoutMs"> {
  readonly name: string;
  readonly timeoutMs: number;
}

export interface ResolvedLlmOptions {
  readonly providers: Readonly<Record<string, ResolvedLlmProvider>>;
  readonly defaultProvider: string | undefined;
}

/** What the LLM steps need of the orchestrator's token accounting (F1, seed 004 `record_token_usage`). */
export interface TokenBudget {
  /** Throws QuotaExceededError when the tenant's daily budget cannot cover `estimatedTokens`. */
  check(tenantId: string, estimatedTokens: number): Promise<unknown>;
  record(tenantId: string, inputTokens: number, outputTokens: number): Promise<unknown>;
}

export const DEFAULT_LLM_TIMEOUT_MS = 120_000;

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== "string") return false;
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

export function resolveLlmOptions(options: LlmOptions = {}): ResolvedLlmOptions {
  const providers: Record<string, ResolvedLlmProvider> = {};
  for (const [name, provider] of Object.entries(options.providers ?? {})) {
    const path = `llm.providers.${name}`;
    if (!isHttpUrl(provider?.baseUrl)) throw new ConfigError(`${path}.baseUrl`, "must be an http:// or https:// URL");
    if (provider.apiKey !== undefined && provider.apiKeySecret !== undefined) throw new ConfigError(path, "give apiKey or apiKeySecret, not both");
    const timeoutMs = provider.timeoutMs ?? DEFAULT_LLM_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs < 1) throw new ConfigError(`${path}.timeoutMs`, `must be a positive whole number of milliseconds, got ${String(timeoutMs)}`);
    providers[name] = Object.freeze({ ...provider, name, baseUrl: provider.baseUrl.replace(/\/+$/, ""), timeoutMs });
  }
  const names = Object.keys(providers);
  const defaultProvider = options.defaultProvider ?? (names.length === 1 ? names[0] : names.includes("default") ? "default" : undefined);
  if (options.defaultProvider !== undefined && !providers[options.defaultProvider]) {
    throw new ConfigError("llm.defaultProvider", `names no configured provider; configured: ${names.join(", ") || "none"}`);
  }
  return Object.freeze({ providers: Object.freeze(providers), defaultProvider });
}
