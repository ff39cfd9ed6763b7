// The messages between the script executor (host thread) and a sandbox worker. Plain data only:
// everything crosses the thread boundary by structured clone, and values of the script as JSON text.

export type ScriptLogLevel = "debug" | "info" | "warn" | "error";

/** One evaluation of a script in a fresh QuickJS runtime. */
export interface SandboxRequest {
  /** The user's JavaScript, as written. */
  readonly code: string;
  /** Shown in stack traces (`script.js`, or the `script:` file name). */
  readonly filename: string;
  /** The script's `input`, as JSON text. */
  readonly inputJson: string;
  /** CPU budget enforced by the QuickJS interrupt handler. */
  readonly timeoutMs: number;
  /** QuickJS heap limit (`JS_SetMemoryLimit`). */
  readonly memoryBytes: number;
  /** QuickJS stack limit (`JS_SetMaxStackSize`). */
  readonly stackBytes: number;
  readonly maxLogLines: number;
  readonly maxLogLineChars: number;
  readonly maxResultChars: number;
}

/** Why a run did not produce a result. */
export type SandboxFailureKind =
  | "error" // the script threw (or its promise rejected)
  | "timeout" // the interrupt handler stopped it at its CPU deadline
  | "memory" // QuickJS refused an allocation past the heap limit
  | "result" // the result is not JSON (a function, a cycle, a BigInt) or is too large
  | "crash" // the script broke the host side of the sandbox (e.g. the WASM call stack overflowed)
  | "unavailable"; // the worker did not start, or died for a reason of its own

export type SandboxOutcome =
  | { readonly ok: true; readonly resultJson: string }
  | { readonly ok: false; readonly kind: SandboxFailureKind; readonly message: string; readonly stack?: string };

export type HostToWorker = { readonly type: "run"; readonly id: number; readonly request: SandboxRequest };

export type WorkerToHost =
  | { readonly type: "started"; readonly id: number }
  | { readonly type: "log"; readonly id: number; readonly level: ScriptLogLevel; readonly message: string }
  | {
      readonly type: "done";
      readonly id: number;
      readonly outcome: SandboxOutcome;
      /** The QuickJS module may be in a broken state: the worker must not be reused. */
      readonly unusable: boolean;
    };
