// Host side of Python scripts: single-use Pyodide workers, kept warm ahead of need because loading
// Pyodide takes seconds. Each run takes a loaded worker, is bounded by its time limit, and ends with
// `worker.terminate()` (also on cancellation); a fresh worker is then loaded for the next run.
import type { Worker } from "node:worker_threads";
import type { PythonHostToWorker, PythonWorkerToHost } from "./python-worker.js";
import type { PythonRunRequest } from "./python-sandbox.js";
import type { SandboxOutcome, ScriptLogLevel } from "./sandbox-protocol.js";
import { spawnModuleWorker } from "./worker-spawn.js";
import { RunSlots } from "./run-slots.js";

export interface PythonPoolOptions {
  /** Loaded workers kept waiting for a run (0: load one per run). */
  readonly warmWorkers: number;
  /** Python scripts running at once; further ones wait. */
  readonly maxWorkers: number;
  /** How long loading Pyodide may take. */
  readonly startTimeoutMs: number;
  /** The worker's JavaScript heap (Pyodide's WebAssembly memory is not part of it). */
  readonly maxHeapMb: number;
}

export interface PythonRun {
  readonly request: PythonRunRequest;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly onLog: (level: ScriptLogLevel, message: string) => void;
}

class PythonWorker {
  readonly worker: Worker;
  /** Resolves when Pyodide is loaded; never rejects (a failure is kept in `failed`). */
  readonly ready: Promise<void>;
  failed: string | undefined;
  #listener: ((message: PythonWorkerToHost) => void) | undefined;
  #onEnd: ((reason: string) => void) | undefined;

  constructor(options: PythonPoolOptions) {
    // An empty environment: Python's os.environ and the worker's process.env hold nothing of the host's.
    this.worker = spawnModuleWorker("python-worker", { env: {}, resourceLimits: { maxOldGenerationSizeMb: options.maxHeapMb, stackSizeMb: 16 } });
    this.worker.unref();
    this.ready = new Promise<void>((resolve) => {
      const timer = setTimeout(() => end(`the Python sandbox did not load within ${options.startTimeoutMs} ms`), options.startTimeoutMs);
      timer.unref();
      const end = (reason: string) => {
        clearTimeout(timer);
        this.failed ??= reason;
        this.#onEnd?.(reason);
        resolve();
      };
      this.worker.on("message", (message: PythonWorkerToHost) => {
        if (message.type === "ready") {
          clearTimeout(timer);
          resolve();
        } else {
          this.#listener?.(message);
        }
      });
      this.worker.on("error", (error) => end(`the Python sandbox failed: ${error.message}`));
      this.worker.on("exit", (code) => end(`the Python sandbox exited with code ${code}`));
    });
  }

  /** Runs the script; rejects only with the signal's reason. The worker is finished afterwards either way. */
  async execute(run: PythonRun): Promise<SandboxOutcome> {
    await this.ready;
    if (this.failed) return { ok: false, kind: "unavailable", message: this.failed };
    this.worker.ref();
    return new Promise<SandboxOutcome>((resolve, reject) => {
      let settled = false;
      const finish = (outcome: SandboxOutcome | { aborted: unknown }) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        run.signal.removeEventListener("abort", onAbort);
        if ("aborted" in outcome) reject(outcome.aborted);
        else resolve(outcome);
      };
      const onAbort = () => finish({ aborted: run.signal.reason });
      // Python has no interrupt here that a runaway loop would notice: the deadline ends the worker.
      const deadline = setTimeout(() => finish({ ok: false, kind: "timeout", message: `the script ran past its time limit of ${run.timeoutMs} ms; its worker was terminated` }), run.timeoutMs);
      this.#listener = (message) => {
        if (message.type === "log") run.onLog(message.level, message.message);
        else if (message.type === "done") finish(message.outcome);
      };
      this.#onEnd = (reason) => finish({ ok: false, kind: "unavailable", message: reason });
      if (run.signal.aborted) return onAbort();
      run.signal.addEventListener("abort", onAbort, { once: true });
      const message: PythonHostToWorker = { type: "run", request: run.request };
      this.worker.postMessage(message);
    });
  }
}

export class PythonPool {
  #options: PythonPoolOptions;
  #warm: PythonWorker[] = [];
  #all = new Set<PythonWorker>();
  #slots: RunSlots;
  #closed = false;

  constructor(options: PythonPoolOptions) {
    this.#options = options;
    this.#slots = new RunSlots(options.maxWorkers);
  }

  async run(run: PythonRun): Promise<SandboxOutcome> {
    if (this.#closed) throw new Error("the Python sandbox pool is closed");
    run.signal.throwIfAborted();
    await this.#slots.acquire(run.signal);
    const worker = this.#warm.shift() ?? this.#spawn();
    try {
      return await worker.execute(run);
    } finally {
      void this.#terminate(worker);
      this.#slots.release();
      this.#fill();
    }
  }

  /** Terminates every worker, running ones included. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#warm = [];
    await Promise.allSettled([...this.#all].map((worker) => this.#terminate(worker)));
  }

  #spawn(): PythonWorker {
    const worker = new PythonWorker(this.#options);
    this.#all.add(worker);
    return worker;
  }

  /** Loads the next runs' workers now, off the path of the step that will need one. */
  #fill(): void {
    while (!this.#closed && this.#warm.length < this.#options.warmWorkers) this.#warm.push(this.#spawn());
  }

  #terminate(worker: PythonWorker): Promise<unknown> {
    this.#all.delete(worker);
    return worker.worker.terminate().catch(() => undefined);
  }


}
