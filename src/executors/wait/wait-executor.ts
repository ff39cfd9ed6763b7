// The `wait` step: pauses its branch for a duration (`duration: 30s`) or until a time (`until:
// 2026-01-01T00:00:00Z`). It holds no worker slot while it waits: the step goes back to the queue
// with its ready time and runs again (and completes) when that time comes, across restarts too.
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { ValidationError } from "../../core/errors.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";

const durationValue = z.union([z.string(), z.number().nonnegative()]);

export const waitConfigSchema = z
  .object({ duration: durationValue.optional(), until: z.string().optional() })
  .strict()
  .refine((c) => (c.duration === undefined) !== (c.until === undefined), { message: "give exactly one of duration or until" });

export const waitExecutor: StepExecutor = {
  type: "wait",
  configSchema: waitConfigSchema,
  execute(ctx: StepContext) {
    const previous = ctx.previousOutput as { wait_until?: unknown } | null;
    const now = ctx.now();
    if (previous && typeof previous.wait_until === "number") {
      if (now >= previous.wait_until) return { waited_until: new Date(previous.wait_until).toISOString() };
      return ctx.waitUntil(previous.wait_until);
    }
    const { duration, until } = ctx.config as { duration?: string | number; until?: string };
    let target: number;
    if (until !== undefined) {
      target = Date.parse(until);
      if (Number.isNaN(target)) throw new ValidationError([{ path: "config.until", message: `${JSON.stringify(until)} is not an ISO 8601 time` }]);
    } else {
      target = now + parseDuration(duration ?? 0, "config.duration");
    }
    if (target <= now) return { waited_until: new Date(target).toISOString() };
    return ctx.waitUntil(target, { wait_until: target });
  },
};
