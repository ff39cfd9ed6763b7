// At most `max` script runs at once, the rest queued in order; a queued run whose signal aborts
// leaves the queue. Shared by the JavaScript (QuickJS) and Python (Pyodide) worker pools.
export class RunSlots {
  #active = 0;
  #waiting: Array<() => void> = [];

  constructor(private readonly max: number) {}

  /** Runs waiting for a slot. */
  get queued(): number {
    return this.#waiting.length;
  }

  acquire(signal: AbortSignal): Promise<void> {
    if (this.#active < this.max) {
      this.#active += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.#waiting = this.#waiting.filter((w) => w !== grant);
        reject(signal.reason);
      };
      // The slot passes straight from the run that ends to this one (#active does not change).
      const grant = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.#waiting.push(grant);
    });
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#active -= 1;
  }
}
