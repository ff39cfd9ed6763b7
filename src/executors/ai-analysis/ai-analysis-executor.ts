// The `ai_analysis` step (seed 003): asks the model for a structured root-cause analysis (or a
// summary) of what earlier steps found, as JSON checked against a fixed schema. Its output
// `{ analysis: { root_cause, ... } }` is what decision steps read as `analysis.root_cause`.
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { parseRuntimeConfig, templatable } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";
import { callModel } from "../llm/llm-call.js";
import type { LlmDependencies, ModelAnswer } from "../llm/llm-call.js";
import { modelFields, parseJsonAnswer, responseFormat } from "../llm/llm-executor.js";

export const ANALYSIS_TYPES = ["root_cause", "summary"] as const;
/** Seed 003's decisions compare `analysis.root_cause` with `OOM` and `Config`. */
export const DEFAULT_ROOT_CAUSES = ["OOM", "Config", "Image", "Dependency", "Network", "Resource", "Application", "Unknown"];
/** Characters of context sent at most: logs can be long, and the prompt is paid for. */
const DEFAULT_MAX_CONTEXT_CHARS = 24_000;

export function aiAnalysisConfigSchema(mode: SchemaMode) {
  return z
    .object({
      ...modelFields(mode),
      analysis_type: templatable(mode, z.enum(ANALYSIS_TYPES).optional()),
      categories: templatable(mode, z.array(z.string().min(1)).min(1).optional()),
      context: z.unknown().optional(),
      instructions: z.string().optional(),
      max_context_chars: templatable(mode, z.number().int().min(100).optional()),
    })
    .strict();
}

const runtimeSchema = aiAnalysisConfigSchema("runtime");

function answerSchema(type: (typeof ANALYSIS_TYPES)[number], categories: string[]): Record<string, unknown> {
  if (type === "summary") {
    return {
      type: "object",
      properties: { summary: { type: "string" }, key_points: { type: "array", items: { type: "string" } } },
      required: ["summary", "key_points"],
      additionalProperties: false,
    };
  }
  return {
    type: "object",
    properties: {
      root_cause: { type: "string", enum: categories },
      confidence: { type: "number", minimum: 0, maximum: 1 },
      summary: { type: "string" },
      evidence: { type: "array", items: { type: "string" } },
      recommended_action: { type: "string" },
    },
    required: ["root_cause", "confidence", "summary", "evidence", "recommended_action"],
    additionalProperties: false,
  };
}

function systemPrompt(type: (typeof ANALYSIS_TYPES)[number], categories: string[]): string {
  if (type === "summary") return "You summarise operational data for an on-call engineer. Answer only with a JSON object: {\"summary\": string, \"key_points\": string[]}.";
  return [
    "You are a site reliability engineer finding the root cause of an incident from the data collected by earlier diagnostic steps.",
    `Classify the root cause as exactly one of: ${categories.join(", ")}. Use the last one when the data does not show a cause.`,
    'Answer only with a JSON object: {"root_cause": string, "confidence": number between 0 and 1, "summary": string, "evidence": string[], "recommended_action": string}.',
  ].join("\n");
}

/** Without `context`, the analysis reads what the steps before it produced (seed 003: logs, then resource state). */
function defaultContext(ctx: StepContext): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const [id, step] of Object.entries(ctx.steps)) if (id !== ctx.stepId && step.status === "completed") context[id] = step.output;
  return { event: ctx.execution.input, steps: context };
}

function contextText(value: unknown, max: number): string {
  const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
  // Keep the end: the last log lines are usually the telling ones.
  return text.length > max ? `[... ${text.length - max} earlier characters left out]\n${text.slice(-max)}` : text;
}

export interface AiAnalysisOutput {
  analysis: Record<string, unknown> & { type: string };
  model: string;
  provider: string;
  usage: ModelAnswer["usage"];
}

export function createAiAnalysisExecutor(deps: LlmDependencies): StepExecutor {
  return {
    type: "ai_analysis",
    configSchema: aiAnalysisConfigSchema("definition"),
    async execute(ctx: StepContext): Promise<AiAnalysisOutput> {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      const type = config.analysis_type ?? "root_cause";
      const categories = config.categories ?? DEFAULT_ROOT_CAUSES;
      const schema = answerSchema(type, categories);
      const context = config.context ?? (Object.keys(ctx.input).length > 0 ? ctx.input : defaultContext(ctx));
      const user = [config.instructions, `Data:\n${contextText(context, config.max_context_chars ?? DEFAULT_MAX_CONTEXT_CHARS)}`].filter((part) => part !== undefined).join("\n\n");
      const answer = await callModel(ctx, deps, {
        provider: config.provider,
        base_url: config.base_url,
        api_key: config.api_key,
        model: config.model,
        messages: [
          { role: "system", content: systemPrompt(type, categories) },
          { role: "user", content: user },
        ],
        max_tokens: config.max_tokens,
        temperature: config.temperature ?? 0,
        response_format: responseFormat(schema, true),
        timeoutMs: config.timeout === undefined ? undefined : parseDuration(config.timeout, "config.timeout"),
      });
      const analysis = parseJsonAnswer(answer.content, schema) as Record<string, unknown>;
      return { analysis: { type, ...analysis }, model: answer.model, provider: answer.provider, usage: answer.usage };
    },
  };
}
