// Fires one due schedule trigger. The execution starts first, under the idempotency key
// `schedule:<trigger>:<scheduled ms>`, then the fire is recorded by compare-and-set on the
// trigger's next time: a node that dies between the two leaves the time due, and whoever handles
// it next (another node, or this one restarted) gets the same execution back. So each scheduled
// time starts one execution, never zero, never two, across restarts and nodes.
import type { Clock } from "../../core/clock.js";
import { errorMessage, isSynergyMeshError } from "../../core/errors.js";
import type { FireStatus, TriggerRow, TriggerStore } from "../../store/trigger-store.js";
import { planDueFires } from "./cron-schedule.js";
import { scheduleSettings, staticInput } from "../trigger-config.js";
import type { TriggerEvents, TriggerStarter } from "../trigger-types.js";

export interface FireContext {
  store: TriggerStore;
  starter: TriggerStarter;
  clock: Clock;
  nodeId: string;
  events: TriggerEvents;
  /** How late an on-time fire may be under catch-up `none` before it counts as missed. */
  graceMs: number;
}

export async function fireSchedule(row: TriggerRow, ctx: FireContext): Promise<void> {
  const due = row.nextFireAt;
  if (due === null) return;
  const settings = scheduleSettings(row.config);
  const plan = planDueFires({ cron: settings.cron, timezone: settings.timezone }, due, ctx.clock.now(), settings.catchUp, { maxCatchUp: settings.maxCatchUp, graceMs: ctx.graceMs });
  let expected = due;
  if (plan.fire.length === 0) {
    // Nothing to run (catch-up `none`): the missed times are passed over in one record.
    await ctx.store.recordFire({ triggerId: row.triggerId, tenantId: row.tenantId, scheduledAt: due, firedAt: ctx.clock.now(), nodeId: ctx.nodeId, executionId: null, status: "skipped", error: "missed while no node ran (catch_up: none)", skipped: plan.skipped }, expected, plan.next);
    return;
  }
  for (let i = 0; i < plan.fire.length; i++) {
    const scheduledAt = plan.fire[i] as number;
    const next = i + 1 < plan.fire.length ? (plan.fire[i + 1] as number) : plan.next;
    const outcome = await startFire(row, scheduledAt, ctx);
    const firedAt = ctx.clock.now();
    const recorded = await ctx.store.recordFire(
      { triggerId: row.triggerId, tenantId: row.tenantId, scheduledAt, firedAt, nodeId: ctx.nodeId, executionId: outcome.executionId, status: outcome.status, error: outcome.error, skipped: i === plan.fire.length - 1 ? plan.skipped : 0 },
      expected,
      next,
      // A workflow that is not active passes its times over without a row each (a paused
      // per-second schedule would otherwise write 86,400 rows a day).
      !outcome.inactive,
    );
    // Another node recorded this time first: it saw the same execution (same key), nothing to add.
    if (!recorded) return;
    ctx.events.emit("trigger.fired", { tenantId: row.tenantId, triggerId: row.triggerId, type: "schedule", status: outcome.status, executionId: outcome.executionId, scheduledAt, firedAt, error: outcome.error });
    if (next === null) return;
    expected = next;
  }
}

interface FireOutcome {
  status: FireStatus;
  inactive?: boolean;
  executionId: string | null;
  error: string | null;
}

async function startFire(row: TriggerRow, scheduledAt: number, ctx: FireContext): Promise<FireOutcome> {
  try {
    await ctx.starter.admit(row.tenantId);
    const input = { ...staticInput(row.config), trigger: { id: row.triggerId, type: "schedule", scheduled_at: new Date(scheduledAt).toISOString() } };
    const started = await ctx.starter.start(row.tenantId, row.workflowId, input, `schedule:${row.triggerId}:${scheduledAt}`);
    return { status: started.created ? "started" : "duplicate", executionId: started.executionId, error: null };
  } catch (error) {
    // An unexpected failure (the database away) leaves the time due: the next tick tries again.
    if (!isSynergyMeshError(error) || error.code === "STORE_UNAVAILABLE" || error.code === "INTERNAL") throw error;
    // A refusal (rate limit, inactive tenant, workflow not active) is recorded for this time; the
    // schedule moves on rather than retrying into a burst.
    const inactive = error.code === "CONFLICT" || error.code === "NOT_FOUND";
    return { status: inactive ? "skipped" : "refused", inactive, executionId: null, error: `${error.code}: ${errorMessage(error)}` };
  }
}
