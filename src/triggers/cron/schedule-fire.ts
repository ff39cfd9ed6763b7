// Fires the schedule triggers due at one instant together. Each due time is admitted and its
// execution built first (no write); then one store transaction moves every trigger's next time on
// by compare-and-set, starts the executions of the times it won (idempotency key
// `schedule:<trigger>:<scheduled ms>`) and records the fires under their unique (trigger,
// scheduled time) key. A node that dies before the commit leaves every time due; a time another
// node moved on first writes nothing here. So each scheduled time starts one execution, never zero,
// never two, across restarts and nodes, and twenty schedules of one second cost one commit, not forty.
import type { Clock } from "../../core/clock.js";
import { errorMessage, isSynergyMeshError } from "../../core/errors.js";
import type { PreparedStart } from "../../engine/execution-service.js";
import type { TriggerFireRow, TriggerRow } from "../../store/trigger-store.js";
import type { CronSpec, CronTimes } from "./cron-schedule.js";
import { planDueFires } from "./cron-schedule.js";
import { scheduleSettings, staticInput } from "../trigger-config.js";
import type { FireToCommit, StartRequest, TriggerEvents, TriggerStarter } from "../trigger-types.js";

export interface FireContext {
  starter: TriggerStarter;
  clock: Clock;
  nodeId: string;
  events: TriggerEvents;
  /** How late an on-time fire may be under catch-up `none` before it counts as missed. */
  graceMs: number;
  /** Cron answers kept between passes (the next pass's plan is computed after this one's commit). */
  times: CronTimes;
}

/** One scheduled time to fire: the trigger, the time, the times it claims. */
interface DueFire {
  row: TriggerRow;
  scheduledAt: number;
  expected: number;
  next: number | null;
  skipped: number;
}

/**
 * Fires every due time of `rows` (schedule triggers) in one commit. A refusal (rate limit,
 * inactive tenant or workflow) is recorded for its time and stops nothing else; a fire that could
 * not be written stays due, and the first such error is thrown once the others are told.
 */
export async function fireSchedules(rows: TriggerRow[], ctx: FireContext): Promise<void> {
  const now = ctx.clock.now();
  const byId = new Map(rows.map((r) => [r.triggerId, r]));
  const due: DueFire[] = [];
  const passedOver: FireToCommit[] = [];
  for (const row of rows) {
    if (row.nextFireAt === null) continue;
    const plan = planFires(row, row.nextFireAt, now, ctx);
    if (plan.fires.length === 0) passedOver.push(plan.passedOver as FireToCommit);
    due.push(...plan.fires);
  }
  const requests: StartRequest[] = due.map((d) => ({
    tenantId: d.row.tenantId,
    workflowId: d.row.workflowId,
    input: { ...staticInput(d.row.config), trigger: { id: d.row.triggerId, type: "schedule", scheduled_at: new Date(d.scheduledAt).toISOString() } },
    idempotencyKey: `schedule:${d.row.triggerId}:${d.scheduledAt}`,
  }));
  const prepared = await ctx.starter.prepareStarts(requests);
  const firedAt = ctx.clock.now();
  const fires: FireToCommit[] = [...passedOver];
  let failure: unknown;
  due.forEach((d, i) => {
    const outcome = prepared[i] as PromiseSettledResult<PreparedStart>;
    const fire: TriggerFireRow = { triggerId: d.row.triggerId, tenantId: d.row.tenantId, scheduledAt: d.scheduledAt, firedAt, nodeId: ctx.nodeId, executionId: null, status: "started", error: null, skipped: d.skipped };
    if (outcome.status === "fulfilled") return fires.push({ fire, expected: d.expected, next: d.next, keepRecord: true, start: outcome.value });
    const refusal = classifyRefusal(outcome.reason);
    // The database away: this time (and the trigger's later ones) stays due; the next pass tries again.
    if (refusal === undefined) return (failure ??= outcome.reason);
    // A workflow that is not active passes its times over without a row each (a paused per-second
    // schedule would otherwise write 86,400 rows a day).
    fires.push({ fire: { ...fire, status: refusal.status, error: refusal.error }, expected: d.expected, next: d.next, keepRecord: !refusal.inactive });
  });
  // A burst's fire after one that stays due claims a time not reached, so it writes nothing either.
  const recorded = await ctx.starter.commitFires(fires);
  for (const r of recorded) {
    if (!r.ok) {
      failure ??= r.error;
      continue;
    }
    // Another node recorded this time first: it started the same execution (same key).
    if (!r.recorded) continue;
    const f = r.fire;
    ctx.events.emit("trigger.fired", { tenantId: f.tenantId, triggerId: f.triggerId, type: "schedule", status: f.status, executionId: f.executionId, scheduledAt: f.scheduledAt, firedAt: f.firedAt, error: f.error });
  }
  // Off the critical path now: the plan the wake-up at each trigger's next time will need.
  fires.forEach((f, i) => {
    const row = byId.get(f.fire.triggerId);
    const r = recorded[i];
    if (row && f.next !== null && r?.ok && r.recorded) ctx.times.next(cronSpec(row), f.next);
  });
  if (failure !== undefined) throw failure;
}

/** The times of one trigger to fire now under its catch-up policy, or the record of times passed over. */
function planFires(row: TriggerRow, due: number, now: number, ctx: FireContext): { fires: DueFire[]; passedOver?: FireToCommit } {
  const settings = scheduleSettings(row.config);
  const plan = planDueFires(cronSpec(row), due, now, settings.catchUp, { maxCatchUp: settings.maxCatchUp, graceMs: ctx.graceMs }, ctx.times);
  if (plan.fire.length === 0) {
    // Nothing to run (catch-up `none`): the missed times are passed over in one record.
    const fire: TriggerFireRow = { triggerId: row.triggerId, tenantId: row.tenantId, scheduledAt: due, firedAt: now, nodeId: ctx.nodeId, executionId: null, status: "skipped", error: "missed while no node ran (catch_up: none)", skipped: plan.skipped };
    return { fires: [], passedOver: { fire, expected: due, next: plan.next, keepRecord: true } };
  }
  // A burst (catch-up `all`) chains its times: each fire after the first claims its own time,
  // which the previous fire set as the next.
  return {
    fires: plan.fire.map((scheduledAt, i) => ({
      row,
      scheduledAt,
      expected: i === 0 ? due : scheduledAt,
      next: i + 1 < plan.fire.length ? (plan.fire[i + 1] as number) : plan.next,
      skipped: i === plan.fire.length - 1 ? plan.skipped : 0,
    })),
  };
}

function cronSpec(row: TriggerRow): CronSpec {
  const settings = scheduleSettings(row.config);
  return { cron: settings.cron, timezone: settings.timezone };
}

/**
 * A refusal recorded for its time (rate limit, inactive tenant, workflow not active or gone), so the
 * schedule moves on rather than retrying into a burst; undefined for a failure that leaves the time
 * due (the database away, an unexpected error).
 */
function classifyRefusal(error: unknown): { status: "skipped" | "refused"; inactive: boolean; error: string } | undefined {
  if (!isSynergyMeshError(error) || error.code === "STORE_UNAVAILABLE" || error.code === "INTERNAL") return undefined;
  const inactive = error.code === "CONFLICT" || error.code === "NOT_FOUND";
  return { status: inactive ? "skipped" : "refused", inactive, error: `${error.code}: ${errorMessage(error)}` };
}
