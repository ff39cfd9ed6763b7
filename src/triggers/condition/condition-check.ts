// Checks one due condition trigger: a CEL expression over the tenant's metrics or a JSON value fetched
// through the tenant's egress policy. It fires on a false -> true transition only; the first check
// just records the value. The check is claimed by compare-and-set on its time, so one node checks,
// and the transition is recorded by compare-and-set on the state, so one node fires.
import type { Clock } from "../../core/clock.js";
import { errorMessage, isSynergyMeshError } from "../../core/errors.js";
import type { EgressPolicy } from "../../net/egress-policy.js";
import { createEgressFetch } from "../../net/egress-policy.js";
import type { TriggerRow, TriggerStore } from "../../store/trigger-store.js";
import { evaluateCondition } from "../../workflow/expressions.js";
import type { ConditionSettings } from "../trigger-config.js";
import { conditionSettings, staticInput } from "../trigger-config.js";
import type { TriggerEvents, TriggerStarter } from "../trigger-types.js";

/** Largest JSON body a condition source may answer with. */
export const MAX_CONDITION_BODY_BYTES = 1024 * 1024;

export interface ConditionContext {
  store: TriggerStore;
  starter: TriggerStarter;
  clock: Clock;
  events: TriggerEvents;
  /** The tenant's figures the expression sees as `metrics` (snake_case). */
  tenantMetrics(tenantId: string): Promise<Record<string, unknown>>;
  egress(tenantId: string): EgressPolicy | Promise<EgressPolicy>;
}

export async function checkCondition(row: TriggerRow, ctx: ConditionContext): Promise<void> {
  if (row.nextFireAt === null) return;
  const settings = conditionSettings(row.config);
  const now = ctx.clock.now();
  if (!(await ctx.store.claimCheck(row.tenantId, row.triggerId, row.nextFireAt, now + settings.intervalMs))) return;
  const previous = typeof row.state.value === "boolean" ? row.state.value : null;
  const transitions = typeof row.state.transitions === "number" ? row.state.transitions : 0;
  let value: boolean;
  try {
    const context = await conditionContext(row, settings, ctx, now);
    value = evaluateCondition(settings.expression, context, { path: "config.expression" });
  } catch (error) {
    // A failed check changes nothing: the last value stays, so a flapping source cannot fire twice.
    const message = isSynergyMeshError(error) ? `${error.code}: ${error.message}` : errorMessage(error);
    await ctx.store.setTriggerState(row.tenantId, row.triggerId, row.stateVersion, { ...row.state, last_error: message, last_checked_at: now });
    ctx.events.emit("trigger.checked", { tenantId: row.tenantId, triggerId: row.triggerId, value: null, error: message });
    return;
  }
  const fires = previous === false && value;
  let executionId: string | null = null;
  let fireError: string | null = null;
  if (fires) {
    try {
      await ctx.starter.admit(row.tenantId);
      const input = { ...staticInput(row.config), trigger: { id: row.triggerId, type: "condition", fired_at: new Date(now).toISOString() } };
      // Keyed by the transition's number: a node that repeats it after a crash gets the same execution.
      executionId = (await ctx.starter.start(row.tenantId, row.workflowId, input, `condition:${row.triggerId}:${transitions + 1}`)).executionId;
    } catch (error) {
      fireError = isSynergyMeshError(error) ? `${error.code}: ${error.message}` : errorMessage(error);
    }
  }
  const state = { value, transitions: fires ? transitions + 1 : transitions, last_checked_at: now, last_error: fireError };
  const saved = await ctx.store.setTriggerState(row.tenantId, row.triggerId, row.stateVersion, state, fires && executionId !== null ? now : undefined);
  ctx.events.emit("trigger.checked", { tenantId: row.tenantId, triggerId: row.triggerId, value, error: fireError });
  if (saved && fires) {
    ctx.events.emit("trigger.fired", { tenantId: row.tenantId, triggerId: row.triggerId, type: "condition", status: executionId !== null ? "started" : "refused", executionId, scheduledAt: now, firedAt: ctx.clock.now(), error: fireError });
  }
}

async function conditionContext(row: TriggerRow, settings: ConditionSettings, ctx: ConditionContext, now: number): Promise<Record<string, unknown>> {
  const base = { now: new Date(now).toISOString(), input: staticInput(row.config) };
  if (settings.source === "metrics") return { ...base, metrics: await ctx.tenantMetrics(row.tenantId) };
  const source = settings.source;
  const fetcher = createEgressFetch(await ctx.egress(row.tenantId), { policyPath: `egress policy of tenant ${row.tenantId}` });
  try {
    const response = await fetcher(source.url, {
      method: source.method,
      headers: { accept: "application/json", ...(source.body !== undefined ? { "content-type": "application/json" } : {}), ...source.headers },
      ...(source.body !== undefined ? { body: JSON.stringify(source.body) } : {}),
      signal: AbortSignal.timeout(source.timeoutMs),
    });
    const text = await readLimited(response.body, MAX_CONDITION_BODY_BYTES);
    if (response.status < 200 || response.status > 299) throw new Error(`${source.method} ${source.url} answered ${response.status}`);
    const value: unknown = JSON.parse(text);
    return { ...base, value, status_code: response.status };
  } finally {
    await fetcher.close();
  }
}

async function readLimited(body: AsyncIterable<Uint8Array> | null, max: number): Promise<string> {
  if (body === null) return "";
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > max) throw new Error(`the condition source answered more than ${max} bytes`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks).toString("utf8");
}
