// `subworkflow`: starts a child execution of another workflow of the same tenant and waits for it,
// holding no worker slot (it checks back every `poll_interval`). The child's start carries an
// idempotency key made from the step's, so a re-run after a crash does not start a second child.
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { NonRetryableError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";

export const subworkflowConfigSchema = z
  .object({
    workflow_id: z.string().min(1),
    version: z.number().int().positive().optional(),
    input: z.record(z.string(), z.unknown()).optional(),
    wait: z.boolean().optional(),
    poll_interval: z.union([z.string(), z.number()]).optional(),
  })
  .strict();

/** What the executor needs of the engine, injected by the orchestrator. */
export interface ChildExecutions {
  start(tenantId: string, workflowId: string, input: Record<string, unknown>, options: { version?: number; idempotencyKey: string }): Promise<{ executionId: string }>;
  get(tenantId: string, executionId: string): Promise<{ status: string; output: unknown; error: string | null }>;
}

const FINAL = new Set(["completed", "failed", "cancelled", "timed_out"]);

export function createSubworkflowExecutor(children: ChildExecutions): StepExecutor {
  return {
    type: "subworkflow",
    configSchema: subworkflowConfigSchema,
    async execute(ctx: StepContext) {
      const config = ctx.config as z.infer<typeof subworkflowConfigSchema>;
      const poll = parseDuration(config.poll_interval ?? "1s", "config.poll_interval");
      const state = ctx.previousOutput as { child_execution_id?: string } | null;
      let childId = state?.child_execution_id;
      if (!childId) {
        const started = await children.start(ctx.tenantId, config.workflow_id, config.input ?? ctx.input, {
          ...(config.version !== undefined ? { version: config.version } : {}),
          idempotencyKey: `${ctx.idempotencyKey}:child`,
        });
        childId = started.executionId;
        ctx.log("info", `started child execution ${childId} of ${config.workflow_id}`);
        if (config.wait === false) return { execution_id: childId, status: "started" };
      }
      const child = await children.get(ctx.tenantId, childId);
      if (!FINAL.has(child.status)) return ctx.waitUntil(ctx.now() + poll, { child_execution_id: childId });
      if (child.status !== "completed") throw new NonRetryableError(`child execution ${childId} ${child.status}${child.error ? `: ${child.error}` : ""}`);
      return { execution_id: childId, status: child.status, output: child.output };
    },
  };
}
