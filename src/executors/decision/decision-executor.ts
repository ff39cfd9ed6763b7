// `decision` (seed 003) and `condition` (seed 001): CEL conditions over the execution's data. The
// first true `if` wins; its `then` is a branch when it names a step (only that branch starts),
// otherwise a value that becomes the decision's output. `condition` takes one `expression` with
// optional `then` / `else` steps.
import { z } from "zod";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { branchResult } from "../../engine/step-executor.js";
import { buildExpressionContext, evaluateCondition } from "../../workflow/expressions.js";

export const decisionConfigSchema = z
  .object({
    conditions: z.array(z.object({ if: z.string().min(1), then: z.unknown() }).strict()).min(1),
    default: z.unknown().optional(),
  })
  .strict();

export const conditionConfigSchema = z
  .object({ expression: z.string().min(1), then: z.string().optional(), else: z.string().optional() })
  .strict();

function context(ctx: StepContext) {
  return buildExpressionContext({
    input: (ctx.execution.input ?? {}) as Record<string, unknown>,
    variables: ctx.execution.variables,
    steps: ctx.steps,
    stepOrder: [...ctx.stepIds],
    execution: { id: ctx.executionId, workflow_id: ctx.workflowId, tenant_id: ctx.tenantId },
  });
}

export const decisionExecutor: StepExecutor = {
  type: "decision",
  configSchema: decisionConfigSchema,
  execute(ctx: StepContext) {
    const { conditions, default: fallback } = ctx.config as z.infer<typeof decisionConfigSchema>;
    const scope = context(ctx);
    let matched: number | null = null;
    let chosen: unknown = fallback ?? null;
    for (const [index, condition] of conditions.entries()) {
      if (evaluateCondition(condition.if, scope)) {
        matched = index;
        chosen = condition.then;
        break;
      }
    }
    const branch = typeof chosen === "string" && ctx.stepIds.has(chosen) ? chosen : null;
    const output = { matched, value: branch === null ? chosen : null, branch };
    return branchResult(output, branch ? [branch] : []);
  },
};

export const conditionExecutor: StepExecutor = {
  type: "condition",
  configSchema: conditionConfigSchema,
  execute(ctx: StepContext) {
    const { expression, then, else: otherwise } = ctx.config as z.infer<typeof conditionConfigSchema>;
    const result = evaluateCondition(expression, context(ctx));
    const target = result ? then : otherwise;
    const branch = target !== undefined && ctx.stepIds.has(target) ? target : null;
    return branchResult({ result, branch }, branch ? [branch] : []);
  },
};
