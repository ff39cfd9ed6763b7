// Worker threads that run scripts, one at a time each: the wall-clock backstop behind QuickJS's own
// limits. A run that does not end by its time limit plus a grace, or whose step is cancelled or timed
// out, ends with `worker.terminate()`. Healthy workers stay warm (unref'd) for the next run; at most
// `maxWorkers` exist at once and further runs queue for one.
import type { Worker } from "node:worker_threads";
import type { SandboxOutcome, SandboxRequest, ScriptLogLevel, WorkerToHost } from "./sandbox-protocol.js";
import { spawnModuleWorker } from "./worker-spawn.js";
import { RunSlots } from "./run-slots.js";

export interface SandboxPoolOptions {
  /** Workers running at once; further runs wait for one (scripts are CPU-bound). */
  readonly maxWorkers: number;
  /** Warm workers kept idle between runs; 0 starts a worker per run. */
  readonly poolSize: number;
  readonly idleTimeoutMs: number;
  /** How long past `request.timeoutMs` a run may go before its worker is terminated. */
  readonly wallClockGraceMs: number;
  /** How long a worker may take to come up and load QuickJS. */
  readonly startTimeoutMs?: number;
}

export interface SandboxRun {
  readonly request: SandboxRequest;
  /** The worker's WASM memory maximum; workers are reused only for runs with the same cap. */
  readonly capBytes: number;
  readonly signal: AbortSignal;
  readonly onLog: (level: ScriptLogLevel, message: string) => void;
}

export interface SandboxPoolStats {
  readonly idle: number;
  readonly busy: number;
  /** Runs waiting for a worker. */
  readonly queued: number;
  /** Workers started and terminated since the pool was made. */
  readonly started: number;
  readonly terminated: number;
  readonly runs: number;
  /** Runs that found a warm worker. */
  readonly warmRuns: number;
}

/** QuickJS's stack limit, and the worker thread's: V8 needs ~64x the QuickJS figure for WASM frames (measured). */
export const QUICKJS_STACK_BYTES = 512 * 1024;
const WORKER_STACK_MB = 32;
const DEFAULT_START_TIMEOUT_MS = 30_000;

function spawnWorker(capBytes: number): Worker {
  return spawnModuleWorker("sandbox-worker", { workerData: { capBytes }, resourceLimits: { stackSizeMb: WORKER_STACK_MB } });
}

interface RunResult {
  outcome: SandboxOutcome;
  /** False when the worker must not run anything else (it crashed, was stopped, or is in doubt). */
  reusable: boolean;
}

class SandboxWorker {
  readonly worker: Worker;
  idleTimer: NodeJS.Timeout | undefined;
  ended = false;
  #nextId = 0;
  #current: { message(m: WorkerToHost): void; fail(error: Error): void; exit(code: number): void } | undefined;

  constructor(readonly capBytes: number) {
    this.worker = spawnWorker(capBytes);
    // Listened to for the worker's whole life: an 'error' event nobody hears would crash the host.
    this.worker.on("message", (message: WorkerToHost) => this.#current?.message(message));
    this.worker.on("error", (error) => this.#current?.fail(error));
    this.worker.on("exit", (code) => this.#current?.exit(code));
  }

  /** Resolves with the run's outcome; rejects only with the signal's reason when it is aborted. */
  execute(run: SandboxRun, options: SandboxPoolOptions): Promise<RunResult> {
    const id = ++this.#nextId;
    const { request, signal } = run;
    return new Promise<RunResult>((resolve, reject) => {
      let settled = false;
      let backstop: NodeJS.Timeout | undefined;
      const finish = (result: RunResult | { aborted: unknown }) => {
        if (settled) return;
        settled = true;
        clearTimeout(startup);
        clearTimeout(backstop);
        signal.removeEventListener("abort", onAbort);
        this.#current = undefined;
        if ("aborted" in result) reject(result.aborted);
        else resolve(result);
      };
      const unavailable = (message: string) => finish({ outcome: { ok: false, kind: "unavailable", message }, reusable: false });
      const onAbort = () => finish({ aborted: signal.reason });
      const startMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
      const startup = setTimeout(() => unavailable(`the script sandbox did not start within ${startMs} ms`), startMs);
      this.#current = {
        message: (message) => {
          if (message.id !== id) return;
          if (message.type === "log") {
            run.onLog(message.level, message.message);
          } else if (message.type === "started") {
            clearTimeout(startup);
            const limitMs = request.timeoutMs + options.wallClockGraceMs;
            backstop = setTimeout(() => {
              const outcome: SandboxOutcome = { ok: false, kind: "timeout", message: `the script did not stop at its time limit of ${request.timeoutMs} ms; its worker was terminated after ${limitMs} ms` };
              finish({ outcome, reusable: false });
            }, limitMs);
          } else {
            finish({ outcome: message.outcome, reusable: !message.unusable });
          }
        },
        fail: (error) => unavailable(`the script sandbox failed: ${error.message}`),
        exit: (code) => unavailable(`the script sandbox exited with code ${code}`),
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.worker.postMessage({ type: "run", id, request });
    });
  }
}

export class SandboxPool {
  #options: SandboxPoolOptions;
  /** Idle workers, the most recently used last. */
  #idle: SandboxWorker[] = [];
  #busy = new Set<SandboxWorker>();
  #ending = new Set<Promise<unknown>>();
  /** Runs holding a worker slot, and those waiting for one (FIFO). */
  #slots: RunSlots;
  #closed = false;
  #counts = { started: 0, terminated: 0, runs: 0, warmRuns: 0 };

  constructor(options: SandboxPoolOptions) {
    this.#options = options;
    this.#slots = new RunSlots(options.maxWorkers);
  }

  /** Runs one script; rejects only with the signal's reason when the run is aborted (its worker is terminated). */
  async run(run: SandboxRun): Promise<SandboxOutcome> {
    if (this.#closed) throw new Error("the script sandbox pool is closed");
    run.signal.throwIfAborted();
    await this.#slots.acquire(run.signal);
    try {
      if (this.#closed) throw new Error("the script sandbox pool is closed");
      const worker = this.#takeIdle(run.capBytes) ?? this.#spawn(run.capBytes);
      this.#busy.add(worker);
      this.#counts.runs += 1;
      worker.worker.ref();
      let reusable = false;
      try {
        const result = await worker.execute(run, this.#options);
        reusable = result.reusable;
        return result.outcome;
      } finally {
        this.#busy.delete(worker);
        if (reusable) this.#release(worker);
        else this.#terminate(worker);
      }
    } finally {
      this.#slots.release();
    }
  }

  stats(): SandboxPoolStats {
    return { idle: this.#idle.length, busy: this.#busy.size, queued: this.#slots.queued, ...this.#counts };
  }

  /** Terminates every worker, running ones included, and waits until they are gone. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const worker of [...this.#idle, ...this.#busy]) this.#terminate(worker);
    await Promise.allSettled([...this.#ending]);
  }



  #takeIdle(capBytes: number): SandboxWorker | undefined {
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const worker = this.#idle[i] as SandboxWorker;
      if (worker.capBytes !== capBytes) continue;
      this.#idle.splice(i, 1);
      clearTimeout(worker.idleTimer);
      this.#counts.warmRuns += 1;
      return worker;
    }
    return undefined;
  }

  #spawn(capBytes: number): SandboxWorker {
    this.#counts.started += 1;
    return new SandboxWorker(capBytes);
  }

  #release(worker: SandboxWorker): void {
    if (this.#closed || this.#options.poolSize === 0) return this.#terminate(worker);
    // An idle worker must not keep the process alive.
    worker.worker.unref();
    worker.idleTimer = setTimeout(() => this.#terminate(worker), this.#options.idleTimeoutMs);
    worker.idleTimer.unref();
    this.#idle.push(worker);
    while (this.#idle.length > this.#options.poolSize) this.#terminate(this.#idle[0] as SandboxWorker);
  }

  #terminate(worker: SandboxWorker): void {
    if (worker.ended) return;
    worker.ended = true;
    const index = this.#idle.indexOf(worker);
    if (index >= 0) this.#idle.splice(index, 1);
    this.#busy.delete(worker);
    clearTimeout(worker.idleTimer);
    this.#counts.terminated += 1;
    const ending = worker.worker.terminate().catch(() => undefined);
    this.#ending.add(ending);
    void ending.finally(() => this.#ending.delete(ending));
  }
}
