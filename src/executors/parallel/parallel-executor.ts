// `parallel`: runs several step types at once inside one step and joins them (seed 001 "Parallel").
// Steps that depend on nothing in common already run in parallel in a workflow; this type is for
// small fan-outs that belong together. With `fail_fast` (default) the first failure fails the step.
import { z } from "zod";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";

const branch = z.object({ type: z.string().min(1), config: z.record(z.string(), z.unknown()).optional() }).strict();

export const parallelConfigSchema = z.object({ branches: z.array(branch).min(1).max(100), fail_fast: z.boolean().optional() }).strict();

export const parallelExecutor: StepExecutor = {
  type: "parallel",
  configSchema: parallelConfigSchema,
  rawConfigKeys: ["branches"],
  async execute(ctx: StepContext) {
    const { branches, fail_fast: failFast = true } = ctx.config as z.infer<typeof parallelConfigSchema>;
    const runs = branches.map((b, index) => ctx.runInline(b, { loop: { item: b, index }, keySuffix: `b${index}` }));
    if (failFast) return { results: await Promise.all(runs) };
    const settled = await Promise.allSettled(runs);
    return { results: settled.map((r) => (r.status === "fulfilled" ? { status: "completed", output: r.value } : { status: "failed", error: r.reason instanceof Error ? r.reason.message : String(r.reason) })) };
  },
};
