// The `llm` step (seed 001): one chat completion from an OpenAI-compatible provider, from a `prompt`
// or `messages`, optionally as JSON checked against a schema. Output `{ content, json, model, ... }`.
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { ValidationError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { booleanField, durationField, parseRuntimeConfig, positiveIntegerField, templatable, urlField } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";
import type { ChatMessage } from "./chat-client.js";
import { callModel } from "./llm-call.js";
import type { LlmDependencies, ModelAnswer } from "./llm-call.js";

const ROLES = ["system", "user", "assistant", "developer"] as const;

/** Fields every model-calling step shares (llm and ai_analysis). */
export function modelFields(mode: SchemaMode) {
  return {
    provider: templatable(mode, z.string().min(1).optional()),
    model: templatable(mode, z.string().min(1).optional()),
    max_tokens: positiveIntegerField(mode),
    temperature: templatable(mode, z.number().min(0).max(2).optional()),
    base_url: urlField(mode).optional(),
    api_key: templatable(mode, z.string().min(1).optional()),
    timeout: durationField(mode),
  };
}

export function llmConfigSchema(mode: SchemaMode) {
  return z
    .object({
      ...modelFields(mode),
      prompt: z.string().optional(),
      system: z.string().optional(),
      messages: templatable(mode, z.array(z.object({ role: z.enum(ROLES), content: z.string(), name: z.string().optional() }).strict()).min(1).optional()),
      response_format: templatable(mode, z.enum(["text", "json"]).optional()),
      json_schema: templatable(mode, z.record(z.string(), z.unknown()).optional()),
      stream: booleanField(mode),
    })
    .strict()
    .superRefine((config, ctx) => {
      if ((config.prompt === undefined) === (config.messages === undefined)) {
        ctx.addIssue({ code: "custom", path: ["prompt"], message: "give exactly one of prompt or messages" });
      }
      if (config.response_format === "text" && config.json_schema !== undefined) {
        ctx.addIssue({ code: "custom", path: ["json_schema"], message: "a json_schema asks for JSON; drop response_format: text" });
      }
    });
}

type LlmConfig = z.output<ReturnType<typeof llmConfigSchema>>;

export interface LlmOutput {
  content: string;
  /** The parsed answer in JSON mode (`response_format: json` or `json_schema`), else null. */
  json: unknown;
  model: string;
  provider: string;
  finish_reason: string | null;
  usage: ModelAnswer["usage"];
}

const runtimeSchema = llmConfigSchema("runtime");

/** The OpenAI `response_format` of a config, or undefined for plain text. */
export function responseFormat(jsonSchema: Record<string, unknown> | undefined, json: boolean): Record<string, unknown> | undefined {
  if (jsonSchema !== undefined) return { type: "json_schema", json_schema: { name: "output", schema: jsonSchema, strict: true } };
  return json ? { type: "json_object" } : undefined;
}

/**
 * Parses a JSON answer and checks it against the schema. A model that answers badly may answer
 * well next time, so both failures are retryable.
 */
export function parseJsonAnswer(content: string, jsonSchema: Record<string, unknown> | undefined): unknown {
  let value: unknown;
  try {
    // Some models wrap JSON in a Markdown fence even when asked not to.
    value = JSON.parse(content.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ""));
  } catch {
    throw new Error(`the model's answer is not JSON: ${content.slice(0, 200)}`);
  }
  if (jsonSchema !== undefined) {
    let schema: z.ZodType | undefined;
    try {
      schema = z.fromJSONSchema(jsonSchema as Parameters<typeof z.fromJSONSchema>[0]);
    } catch (error) {
      throw new ValidationError([{ path: "config.json_schema", message: `is not a JSON Schema this node can check: ${(error as Error).message}` }]);
    }
    const checked = schema.safeParse(value);
    if (!checked.success) {
      const problems = checked.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`).join("; ");
      throw new Error(`the model's answer does not fit json_schema: ${problems}`);
    }
  }
  return value;
}

function messagesOf(config: LlmConfig): ChatMessage[] {
  if (config.messages) return config.messages;
  return [...(config.system !== undefined ? [{ role: "system" as const, content: config.system }] : []), { role: "user" as const, content: config.prompt as string }];
}

export function createLlmExecutor(deps: LlmDependencies): StepExecutor {
  return {
    type: "llm",
    configSchema: llmConfigSchema("definition"),
    async execute(ctx: StepContext): Promise<LlmOutput> {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      const json = config.json_schema !== undefined || config.response_format === "json";
      const answer = await callModel(ctx, deps, {
        timeoutMs: config.timeout === undefined ? undefined : parseDuration(config.timeout, "config.timeout"),
        provider: config.provider,
        base_url: config.base_url,
        api_key: config.api_key,
        model: config.model,
        messages: messagesOf(config),
        max_tokens: config.max_tokens,
        temperature: config.temperature,
        response_format: responseFormat(config.json_schema, json),
        stream: config.stream,
      });
      return {
        content: answer.content,
        json: json ? parseJsonAnswer(answer.content, config.json_schema) : null,
        model: answer.model,
        provider: answer.provider,
        finish_reason: answer.finish_reason,
        usage: answer.usage,
      };
    },
  };
}
