// A clock for tests: time moves only when the test says so, and timers fire in time order.
// `nextTimer()` lets a test wait for code to schedule its next wait, an event rather than a sleep.
import type { Clock, TimerHandle } from "../core/clock.js";

interface FakeTimer {
  id: number;
  at: number;
  delay: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: FakeTimer[] = [];
  #waiters: Array<(timer: { delay: number; at: number }) => void> = [];

  constructor(start: number | Date = Date.UTC(2026, 0, 1)) {
    this.#now = typeof start === "number" ? start : start.getTime();
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), delay: ms, callback };
    this.#timers.push(timer);
    this.#timers.sort((a, b) => a.at - b.at || a.id - b.id);
    const waiters = this.#waiters.splice(0);
    for (const w of waiters) w({ delay: timer.delay, at: timer.at });
    return { id: timer.id };
  }

  clearTimeout(handle: TimerHandle): void {
    const id = (handle as { id: number }).id;
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }

  /** Timers not yet fired. */
  get pendingTimers(): number {
    return this.#timers.length;
  }

  /** Resolves when a timer of exactly `delay` ms is pending (at once if one is), with its due time. */
  async timerOf(delay: number): Promise<{ delay: number; at: number }> {
    for (;;) {
      const found = this.#timers.find((t) => t.delay === delay);
      if (found) return { delay: found.delay, at: found.at };
      await new Promise<unknown>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Resolves when a timer is scheduled (at once if one is pending), with its delay. */
  nextTimer(): Promise<{ delay: number; at: number }> {
    const first = this.#timers[0];
    if (first) return Promise.resolve({ delay: first.delay, at: first.at });
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Moves time forward by `ms`, firing due timers in order; lets promise callbacks run between them. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers[0];
      if (!due || due.at > target) break;
      this.#timers.shift();
      this.#now = due.at;
      due.callback();
      await flushMicrotasks();
    }
    this.#now = target;
    await flushMicrotasks();
  }

  /** Sets the time (forward or back) without firing timers. */
  set(time: number | Date): void {
    this.#now = typeof time === "number" ? time : time.getTime();
  }
}

/** Lets every queued promise callback run (one macrotask turn). */
export function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
