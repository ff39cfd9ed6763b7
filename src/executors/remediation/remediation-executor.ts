// The `remediation` step (seed 003 `execute_remediation`: `action_type: kubectl, action: patch_deployment`):
// waits for an approval through `decideApproval` (unless `require_approval: false`), then runs the
// action as a `command` step would, and writes what it did to the tenant's audit log.
import { z } from "zod";
import type { AuditInput } from "../../audit/audit-log.js";
import { parseDuration } from "../../core/duration.js";
import { NonRetryableError, errorMessage } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { ApprovalTimeout, NO_DEADLINE_WAIT_MS } from "../approval/approval-executor.js";
import type { ApprovalState } from "../approval/approval-executor.js";
import { commandShape } from "../command/command-config.js";
import type { CommandOutput, CommandRunnerOptions } from "../command/command-runner.js";
import { CommandFailedError, runCommand } from "../command/command-runner.js";
import { booleanField, durationField, parseRuntimeConfig } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";

export interface RemediationExecutorOptions extends CommandRunnerOptions {
  /** Appends one audit record for the step's tenant; resolves once it is committed. */
  audit: (entry: AuditInput) => Promise<void>;
}

export const REMEDIATION_AUDIT_ACTION = "remediation";

function remediationConfigSchema(mode: SchemaMode) {
  return z
    .object({
      action_type: z.string().min(1),
      ...commandShape(mode),
      require_approval: booleanField(mode),
      message: z.string().optional(),
      approvers: z.array(z.string()).optional(),
      approval_timeout: durationField(mode),
    })
    .strict();
}

const runtimeSchema = remediationConfigSchema("runtime");

/** The approval state plus what will run, so whoever decides sees the action. */
type RemediationState = ApprovalState & { action: { tool: string; args: string[] } };

export type RemediationOutput = CommandOutput & { approved_by: string | null; approved_at: number | null };

export function createRemediationExecutor(options: RemediationExecutorOptions): StepExecutor {
  return {
    type: "remediation",
    configSchema: remediationConfigSchema("definition"),
    awaitsApproval: true,
    async execute(ctx: StepContext) {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      const fields = { ...config, tool: config.action_type };
      const args = [...(config.action !== undefined ? [config.action] : []), ...(config.args ?? []).map(String)];
      const state = ctx.previousOutput as RemediationState | null;
      const now = ctx.now();
      if (config.require_approval !== false) {
        if (state?.status === "rejected") throw new NonRetryableError(`remediation rejected by ${state.decided_by ?? "someone"}${state.comment ? `: ${state.comment}` : ""}`);
        if (state?.status === "pending") {
          if (state.deadline !== null && now >= state.deadline) throw new ApprovalTimeout(state.deadline - state.requested_at);
          return ctx.waitUntil(state.deadline ?? now + NO_DEADLINE_WAIT_MS, state);
        }
        if (state?.status !== "approved") {
          const deadline = config.approval_timeout !== undefined ? now + parseDuration(config.approval_timeout, "config.approval_timeout") : null;
          // Redacted here: a waiting step's state is stored as it is returned.
          const pending: RemediationState = ctx.redact({
            status: "pending",
            requested_at: now,
            deadline,
            ...(config.message ? { message: config.message } : {}),
            ...(config.approvers ? { approvers: config.approvers } : {}),
            action: { tool: config.action_type, args },
          });
          ctx.log("info", `remediation ${config.action_type} ${args.join(" ")} waits for approval`);
          return ctx.waitUntil(deadline ?? now + NO_DEADLINE_WAIT_MS, pending);
        }
      }
      const approvedBy = state?.status === "approved" ? (state.decided_by ?? null) : null;
      const approvedAt = state?.status === "approved" ? (state.decided_at ?? null) : null;
      const record = (status: "success" | "failed", detail: Record<string, unknown>) =>
        options.audit({
          tenantId: ctx.tenantId,
          action: REMEDIATION_AUDIT_ACTION,
          status,
          componentId: ctx.workflowId,
          userId: approvedBy ?? "system",
          metadata: ctx.redact({ execution_id: ctx.executionId, step_id: ctx.stepId, attempt: ctx.attempt, tool: config.action_type, args, approved_by: approvedBy, ...detail }),
        });
      let output: CommandOutput;
      try {
        output = await runCommand(ctx, options, fields, "config.action_type");
      } catch (error) {
        const ran = error instanceof CommandFailedError ? { exit_code: error.output.exit_code, ran_on: error.output.ran_on } : {};
        await record("failed", { ...ran, error: errorMessage(error) });
        throw error;
      }
      await record("success", { exit_code: output.exit_code, ran_on: output.ran_on, duration_ms: output.duration_ms });
      return { ...output, approved_by: approvedBy, approved_at: approvedAt } satisfies RemediationOutput;
    },
  };
}
