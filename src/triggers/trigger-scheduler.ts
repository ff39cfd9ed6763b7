// The loop that fires schedule triggers and checks condition triggers: it sleeps on the injected
// clock exactly until the earliest stored `next_fire_at` (or for the poll interval, to see
// triggers other nodes changed), handles what is due, and sleeps again. Every node runs one; the store's
// compare-and-set claims keep their work from doubling.
import type { Clock, TimerHandle } from "../core/clock.js";
import type { TriggerRow, TriggerStore } from "../store/trigger-store.js";
import type { Logger } from "../telemetry/logger.js";

export interface TriggerSchedulerOptions {
  /** Longest sleep, so triggers created on other nodes are seen (ms). */
  pollMs: number;
  /** Condition triggers checked at once. */
  concurrency: number;
}

/** What the loop hands due triggers to. */
export interface DueHandlers {
  /** Every schedule trigger due in one pass, fired together (one commit). */
  schedules(rows: TriggerRow[]): Promise<void>;
  /** One due condition trigger. */
  condition(row: TriggerRow): Promise<void>;
}

const BATCH = 100;

export class TriggerScheduler {
  #store: TriggerStore;
  #clock: Clock;
  #logger: Logger;
  #handlers: DueHandlers;
  #options: TriggerSchedulerOptions;
  #timer: TimerHandle | undefined;
  #poll: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  #failed = false;

  constructor(store: TriggerStore, clock: Clock, logger: Logger, handlers: DueHandlers, options: TriggerSchedulerOptions) {
    this.#store = store;
    this.#clock = clock;
    this.#logger = logger;
    this.#handlers = handlers;
    this.#options = options;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.wake();
  }

  /** Looks for due triggers now (after a local change, or at a timer). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#clearTimers();
    this.#running = this.#tick().finally(() => {
      this.#running = undefined;
      if (this.#again) {
        this.#again = false;
        this.wake();
      }
    });
  }

  /** Resolves once the pass in progress (if any) has ended; no new pass starts. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clearTimers();
    await this.#running;
  }

  #clearTimers(): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    if (this.#poll !== undefined) clearTimeout(this.#poll);
    this.#timer = undefined;
    this.#poll = undefined;
  }

  /**
   * One pass over what is due now, without arming a timer: for nodes that run no loop (tests on a
   * fake clock, an external cron calling in). Waits for a pass already running first.
   */
  async runOnce(): Promise<void> {
    await this.#running;
    for (;;) {
      const due = await this.#store.dueTriggers(this.#clock.now(), BATCH);
      await this.#runAll(due);
      if (due.length < BATCH) return;
    }
  }

  async #tick(): Promise<void> {
    let nextAt: number | undefined;
    this.#failed = false;
    try {
      for (;;) {
        const due = await this.#store.dueTriggers(this.#clock.now(), BATCH);
        await this.#runAll(due);
        if (due.length < BATCH || this.#stopped) break;
      }
      nextAt = await this.#store.nextTriggerTime();
    } catch (error) {
      // The store away (a restart, a network blip): try again shortly.
      this.#failed = true;
      this.#logger.warn({ err: error }, "trigger scheduler pass failed");
    }
    if (this.#stopped) return;
    const now = this.#clock.now();
    if (nextAt !== undefined && !this.#failed && nextAt - now <= this.#options.pollMs) {
      this.#armAt(nextAt);
      return;
    }
    // Nothing due soon: look again later for triggers other nodes changed. This poll is a liveness
    // timer, not a schedule, so it runs on the process's timers (unref'd): a node with no timed
    // triggers puts nothing on an injected clock, and keeps no process alive. A failed pass (a
    // fire that stays due, the store away) is retried after at most a second.
    this.#poll = setTimeout(() => {
      this.#poll = undefined;
      this.wake();
    }, this.#failed ? Math.min(this.#options.pollMs, 1000) : this.#options.pollMs);
    this.#poll.unref();
  }

  /**
   * The exact wake-up for the next due time, on the injected clock (fake in tests). A system timer
   * may run a little before its time by Date.now() (the event loop's clock lags the wall clock):
   * then it waits out the rest instead of a pass that finds nothing due.
   */
  #armAt(at: number): void {
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#clock.now() < at && !this.#stopped) this.#armAt(at);
      else this.wake();
    }, Math.max(0, at - this.#clock.now()));
  }

  async #runAll(rows: TriggerRow[]): Promise<void> {
    const schedules = rows.filter((r) => r.type === "schedule");
    const conditions = rows.filter((r) => r.type !== "schedule");
    const fail = (error: unknown, bindings: Record<string, unknown>) => {
      this.#failed = true;
      this.#logger.warn({ err: error, ...bindings }, "trigger fire failed; it stays due");
    };
    let index = 0;
    const worker = async () => {
      while (index < conditions.length) {
        const row = conditions[index++] as TriggerRow;
        await this.#handlers.condition(row).catch((error: unknown) => fail(error, { tenantId: row.tenantId, triggerId: row.triggerId }));
      }
    };
    await Promise.all([
      schedules.length > 0 ? this.#handlers.schedules(schedules).catch((error: unknown) => fail(error, { triggers: schedules.length })) : undefined,
      ...Array.from({ length: Math.min(this.#options.concurrency, conditions.length) }, worker),
    ]);
  }
}
