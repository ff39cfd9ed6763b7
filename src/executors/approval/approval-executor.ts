// `approval`: the step waits (holding no worker slot) until someone approves or rejects it through
// the API (`orch.decideApproval`), or until its optional `timeout` passes. Approved: the step
// completes with the decision as output. Rejected: it fails (not retried), so `on_failure` runs.
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { NonRetryableError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";

export const approvalConfigSchema = z
  .object({
    message: z.string().optional(),
    approvers: z.array(z.string()).optional(),
    timeout: z.union([z.string(), z.number()]).optional(),
  })
  .strict();

/** What decideApproval writes into the waiting step's output. */
export interface ApprovalState {
  status: "pending" | "approved" | "rejected";
  requested_at: number;
  deadline: number | null;
  message?: string;
  approvers?: string[];
  decided_by?: string;
  comment?: string;
  decided_at?: number;
}

/** Far enough to mean "no deadline", small enough for timers and BIGINT columns. */
export const NO_DEADLINE_WAIT_MS = 365 * 86_400_000;

export const approvalExecutor: StepExecutor = {
  type: "approval",
  configSchema: approvalConfigSchema,
  awaitsApproval: true,
  execute(ctx: StepContext) {
    const now = ctx.now();
    const state = ctx.previousOutput as ApprovalState | null;
    if (state && (state.status === "approved" || state.status === "rejected")) {
      if (state.status === "rejected") throw new NonRetryableError(`rejected by ${state.decided_by ?? "someone"}${state.comment ? `: ${state.comment}` : ""}`);
      return { approved: true, decided_by: state.decided_by ?? null, comment: state.comment ?? null, decided_at: state.decided_at ?? null };
    }
    if (state?.status === "pending") {
      if (state.deadline !== null && now >= state.deadline) throw new ApprovalTimeout(state.deadline - state.requested_at);
      return ctx.waitUntil(state.deadline ?? now + NO_DEADLINE_WAIT_MS, state);
    }
    const config = ctx.config as z.infer<typeof approvalConfigSchema>;
    const deadline = config.timeout !== undefined ? now + parseDuration(config.timeout, "config.timeout") : null;
    const pending: ApprovalState = { status: "pending", requested_at: now, deadline, ...(config.message ? { message: config.message } : {}), ...(config.approvers ? { approvers: config.approvers } : {}) };
    ctx.log("info", `waiting for approval${config.message ? `: ${config.message}` : ""}`);
    return ctx.waitUntil(deadline ?? now + NO_DEADLINE_WAIT_MS, pending);
  },
};

/** Ends the step `timed_out` (the runner reads `timedOut`). */
export class ApprovalTimeout extends NonRetryableError {
  readonly timedOut = true;
  constructor(ms: number) {
    super(`no approval within ${ms} ms`);
  }
}
