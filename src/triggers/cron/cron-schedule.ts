// Cron arithmetic of schedule triggers (croner, IANA zones): next fire times, and which missed
// times to fire under the catch-up policy. Pure: croner is used only to compute dates.
import { Cron } from "croner";

export type CatchUpPolicy = "latest" | "none" | "all";
export const CATCH_UP_POLICIES: readonly CatchUpPolicy[] = ["latest", "none", "all"];

export interface CronSpec {
  cron: string;
  /** IANA zone (default UTC). */
  timezone: string;
}

function cronOf(spec: CronSpec): Cron {
  // 5 fields fire on second 0; 6 fields put seconds first. Day-of-month and weekday combine with
  // OR as classic cron does (croner's legacy mode, its default).
  return new Cron(spec.cron.trim(), { timezone: spec.timezone, mode: "5-or-6-parts" });
}

/**
 * Remembers parsed patterns and the next fire time after a given time. A per-second schedule asks
 * for the same answers every second: the loop computes the next time after each time it moves a
 * trigger to right after the commit, so the wake-up at that time finds it here and does no cron
 * arithmetic before recording (croner's zone arithmetic costs about 0.1 ms a call). One per
 * orchestrator; both maps are bounded.
 */
export class CronTimes {
  #crons = new Map<string, Cron>();
  #next = new Map<string, number | null>();
  static readonly LIMIT = 10_000;

  /** The first fire time strictly after `after`, or null. */
  next(spec: CronSpec, after: number): number | null {
    const key = `${spec.cron}\u0000${spec.timezone}\u0000${after}`;
    const known = this.#next.get(key);
    if (known !== undefined) return known;
    const at = this.cron(spec).nextRun(new Date(after))?.getTime() ?? null;
    if (this.#next.size >= CronTimes.LIMIT) this.#next.clear();
    this.#next.set(key, at);
    return at;
  }

  /** The parsed pattern (never scheduled: croner starts no timer without a callback). */
  cron(spec: CronSpec): Cron {
    const key = `${spec.cron}\u0000${spec.timezone}`;
    let cron = this.#crons.get(key);
    if (!cron) {
      if (this.#crons.size >= CronTimes.LIMIT) this.#crons.clear();
      cron = cronOf(spec);
      this.#crons.set(key, cron);
    }
    return cron;
  }
}

/** The first fire time strictly after `after` (epoch ms), or null when the pattern never fires again. */
export function nextFireTime(spec: CronSpec, after: number): number | null {
  const cron = cronOf(spec);
  try {
    return cron.nextRun(new Date(after))?.getTime() ?? null;
  } finally {
    cron.stop();
  }
}

/** The next `count` fire times strictly after `after`. */
export function nextFireTimes(spec: CronSpec, after: number, count: number): number[] {
  const cron = cronOf(spec);
  try {
    return cron.nextRuns(count, new Date(after)).map((d) => d.getTime());
  } finally {
    cron.stop();
  }
}

export interface DuePlan {
  /** Scheduled times to fire now, oldest first. */
  fire: number[];
  /** Scheduled times passed over without a fire. */
  skipped: number;
  /** The next scheduled time after `now`, or null. */
  next: number | null;
}

/**
 * What to do with a trigger whose next scheduled time `due` is not after `now`. A fire is "missed"
 * when a later scheduled time has also passed (nothing ran for a while) or, for `none`, when it is
 * more than `graceMs` late. Policies: `latest` fires the most recent passed time once (never a
 * burst), `none` fires nothing missed, `all` fires each passed time, at most `maxCatchUp` of the most
 * recent, oldest first.
 */
export function planDueFires(spec: CronSpec, due: number, now: number, policy: CatchUpPolicy, options: { maxCatchUp: number; graceMs: number }, times = new CronTimes()): DuePlan {
  const following = times.next(spec, due);
  if (following === null || following > now) {
    // Only `due` has passed: on time (or late within the grace) it simply fires.
    if (policy === "none" && now - due > options.graceMs) return { fire: [], skipped: 1, next: following };
    return { fire: [due], skipped: 0, next: following };
  }
  // Several times have passed. The latest ones come from previousRuns (croner walks back from
  // `now`), so a per-second schedule missed for a week costs no walk over every second of it.
  const cron = times.cron(spec);
  const wanted = policy === "all" ? options.maxCatchUp : 1;
  const recent = cron
    .previousRuns(wanted, new Date(now + 1))
    .map((d) => d.getTime())
    .filter((t) => t >= due && t <= now)
    .sort((a, b) => a - b);
  const latest = recent[recent.length - 1] ?? due;
  const after = times.next(spec, latest);
  const passed = countBetween(cron, due, now, recent.length + 1);
  if (policy === "none") return { fire: [], skipped: passed, next: after };
  return { fire: recent, skipped: Math.max(0, passed - recent.length), next: after };
}

/** Scheduled times in [from, to], counted up to a cap (exact counts of huge gaps are not worth the walk). */
const COUNT_CAP = 10_000;
function countBetween(cron: Cron, from: number, to: number, atLeast: number): number {
  let count = 0;
  let at: number | null = from;
  while (at !== null && at <= to && count < COUNT_CAP) {
    count += 1;
    at = cron.nextRun(new Date(at))?.getTime() ?? null;
  }
  return Math.max(count, atLeast);
}
