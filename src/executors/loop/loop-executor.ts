// `loop`: runs a body step type for each item of a list (`items`, usually `{{input.list}}`) or
// while a CEL condition holds (`while`, with `loop.index` and `loop.item` = the previous result),
// at most `max_iterations` times. The iterations are one step execution: a retry runs them all
// again, each with its own idempotency key (`<step key>:<index>`). `{{loop.item}}` and
// `{{loop.index}}` are rendered into the body per iteration.
import { z } from "zod";
import { NonRetryableError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { buildExpressionContext, evaluateCondition } from "../../workflow/expressions.js";

const HARD_MAX = 10_000;

export const loopConfigSchema = z
  .object({
    items: z.unknown().optional(),
    while: z.string().min(1).optional(),
    max_iterations: z.number().int().positive().max(HARD_MAX).optional(),
    concurrency: z.number().int().positive().max(100).optional(),
    step: z.object({ type: z.string().min(1), config: z.record(z.string(), z.unknown()).optional() }).strict(),
  })
  .strict()
  .refine((c) => (c.items === undefined) !== (c.while === undefined), { message: "give exactly one of items or while" });

type LoopConfig = z.infer<typeof loopConfigSchema>;

export const loopExecutor: StepExecutor = {
  type: "loop",
  configSchema: loopConfigSchema,
  rawConfigKeys: ["step"],
  async execute(ctx: StepContext) {
    const config = ctx.config as LoopConfig;
    const max = config.max_iterations ?? 100;
    const results: unknown[] = [];
    if (config.items !== undefined) {
      if (!Array.isArray(config.items)) throw new NonRetryableError(`loop items must be a list, got ${typeof config.items}`);
      if (config.items.length > max) throw new NonRetryableError(`loop has ${config.items.length} items, more than max_iterations ${max}`);
      const items = config.items as unknown[];
      const width = config.concurrency ?? 1;
      let next = 0;
      const lane = async () => {
        while (next < items.length) {
          const index = next++;
          results[index] = await ctx.runInline(config.step, { loop: { item: items[index], index }, keySuffix: String(index) });
        }
      };
      await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
      return { results, count: results.length };
    }
    let previous: unknown = null;
    for (let index = 0; index < max; index++) {
      const scope = buildExpressionContext({ input: (ctx.execution.input ?? {}) as Record<string, unknown>, variables: ctx.execution.variables, steps: ctx.steps, stepOrder: [...ctx.stepIds], execution: { id: ctx.executionId }, loop: { item: previous, index } });
      if (!evaluateCondition(config.while as string, scope)) return { results, count: results.length };
      if (ctx.signal.aborted) throw ctx.signal.reason;
      previous = await ctx.runInline(config.step, { loop: { item: previous, index }, keySuffix: String(index) });
      results.push(previous);
    }
    throw new NonRetryableError(`loop did not end within max_iterations (${max})`);
  },
};
