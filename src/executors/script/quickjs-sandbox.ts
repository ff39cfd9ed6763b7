// Evaluates one script in a fresh QuickJS runtime under a memory cap, a stack limit and a time
// deadline. Runs inside a sandbox worker; the script reaches nothing of the host but `input` (parsed
// from JSON inside the sandbox) and a `console` whose lines are handed to `onLog`.
import { RELEASE_SYNC, newQuickJSWASMModule, newVariant } from "quickjs-emscripten";
import type { DisposableResult, QuickJSContext, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule } from "quickjs-emscripten";
import type { SandboxFailureKind, SandboxOutcome, SandboxRequest, ScriptLogLevel } from "./sandbox-protocol.js";

/**
 * Runs before the script, in the sandbox: installs `console` and returns helpers that captured the
 * intrinsics they use, so a script that replaces `JSON` or `String` cannot change how its input is
 * parsed, its result is serialised or its error is described.
 */
const PRELUDE = `(function (hostLog, maxLineChars) {
  "use strict";
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const toText = String;
  const ErrorType = Error;
  function format(value) {
    if (typeof value === "string") return value;
    if (value instanceof ErrorType && typeof value.stack === "string" && value.stack) return toText(value) + "\\n" + value.stack;
    try {
      const text = stringify(value);
      return text === undefined ? toText(value) : text;
    } catch (_) {
      return toText(value);
    }
  }
  function writer(level) {
    return function () {
      let line = "";
      for (let i = 0; i < arguments.length; i++) line += (i ? " " : "") + format(arguments[i]);
      if (line.length > maxLineChars) line = line.slice(0, maxLineChars) + " ... (" + (line.length - maxLineChars) + " more characters)";
      hostLog(level, line);
    };
  }
  const console = Object.freeze({ log: writer("info"), info: writer("info"), warn: writer("warn"), error: writer("error"), debug: writer("debug") });
  Object.defineProperty(globalThis, "console", { value: console, writable: false, enumerable: false, configurable: false });
  return Object.freeze({
    parseInput: function (text) {
      return parse(text);
    },
    serialize: function (value, maxChars) {
      if (value === undefined) return "null";
      const text = stringify(value, function (key, item) {
        const kind = typeof item;
        if (kind === "function" || kind === "symbol") {
          throw new TypeError("the result holds a " + kind + (key === "" ? "" : " at key " + stringify(key)) + ", which JSON cannot carry");
        }
        return item;
      });
      if (text.length > maxChars) throw new RangeError("the result is " + text.length + " characters of JSON, over the limit of " + maxChars);
      return text;
    },
    describe: function (error) {
      let name = "";
      let message;
      let stack;
      try {
        if (error !== null && (typeof error === "object" || typeof error === "function")) {
          if (typeof error.name === "string") name = error.name;
          if (typeof error.message === "string") message = error.message;
          if (typeof error.stack === "string") stack = error.stack;
        }
        if (message === undefined) message = format(error);
      } catch (_) {
        message = "(an error that could not be described)";
      }
      return stringify({ name: name, message: message, stack: stack });
    },
  });
})`;

/** Time left for describing a thrown error after the script's own deadline (a getter may run). */
const DESCRIBE_MS = 250;
/** Heap allowed above the limit while a thrown error is described (the script may have filled it). */
const DESCRIBE_HEADROOM_BYTES = 4 * 1024 * 1024;

/**
 * A script that has a top-level `export` (or static `import`) statement at the start of a line is an ES
 * module; anything else is a function body, so a top-level `return` works.
 */
export function isModuleSource(code: string): boolean {
  return /^[ \t]*export[\s{*]/m.test(code) || /^[ \t]*import[\s{*"']/m.test(code);
}

/**
 * The function-body form: the code runs with `input` in scope; a top-level `return` gives the result,
 * and when the body falls off its end a `main` it declared is called with `input`.
 */
export function wrapFunctionBody(code: string): string {
  // The code starts on the wrapper's first line so that line numbers in stack traces stay the user's.
  return `(function (input) {${code}\n;return typeof main === "function" ? main(input) : undefined;\n})`;
}

const WASM_PAGE = 65536;

/** The part of `WebAssembly.Memory` used here (the project's `lib` has no WebAssembly types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}
const WasmMemoryType = (globalThis as unknown as { WebAssembly: { Memory: new (descriptor: { initial: number; maximum: number }) => WasmMemory } }).WebAssembly.Memory;
/** What the QuickJS WASM module itself needs (its data, stack and allocator) before any script runs. */
export const ENGINE_BASELINE_BYTES = 16 * 1024 * 1024;

/** A QuickJS module whose WASM memory cannot grow past a maximum. */
export interface CappedQuickJS {
  readonly quickjs: QuickJSWASMModule;
  readonly capBytes: number;
  /** How many times the module asked for more memory than its cap allows. */
  readonly refusedGrowths: number;
}

/**
 * `JS_SetMemoryLimit` alone does not bound the heap in this build: the WASM allocator reports no
 * usable sizes, so QuickJS checks each allocation against the limit but never adds them up (many
 * 1 MB strings pass an 8 MB limit; quickjs-emscripten issues #255, #271). The hard bound is the
 * WASM memory itself: created here with a maximum, its growth fails at the cap, malloc returns
 * NULL and QuickJS throws its out-of-memory error. One module per worker, so the cap is per run.
 */
export async function loadCappedQuickJS(capBytes: number): Promise<CappedQuickJS> {
  const pages = Math.max(ENGINE_BASELINE_BYTES, Math.ceil(capBytes / WASM_PAGE) * WASM_PAGE) / WASM_PAGE;
  const memory = new WasmMemoryType({ initial: ENGINE_BASELINE_BYTES / WASM_PAGE, maximum: pages });
  const state = { refusedGrowths: 0 };
  const grow = memory.grow.bind(memory);
  // Emscripten grows the heap through this call; a refusal here is how an exhausted heap is recognised
  // even when QuickJS had no memory left to build its error object (it then throws `null`).
  memory.grow = (delta: number) => {
    try {
      return grow(delta);
    } catch (error) {
      state.refusedGrowths += 1;
      throw error;
    }
  };
  const quickjs = await newQuickJSWASMModule(newVariant(RELEASE_SYNC, { wasmMemory: memory }));
  return {
    quickjs,
    capBytes: pages * WASM_PAGE,
    get refusedGrowths() {
      return state.refusedGrowths;
    },
  };
}

export function runInQuickJS(sandbox: CappedQuickJS, request: SandboxRequest, onLog: (level: ScriptLogLevel, message: string) => void): SandboxOutcome {
  const runtime = sandbox.quickjs.newRuntime();
  const deadline = new Deadline(request.timeoutMs);
  runtime.setMemoryLimit(request.memoryBytes);
  runtime.setMaxStackSize(request.stackBytes);
  runtime.setInterruptHandler(deadline.passed);
  const vm = runtime.newContext();
  const scope = new HandleScope();
  let outcome: SandboxOutcome;
  try {
    outcome = evaluate(new Guest(vm, runtime, scope), sandbox, request, deadline, onLog);
  } catch (error) {
    // A failure of the host side (the caller retires the worker). QuickJS may assert while freeing
    // after one; the first error is the one to report.
    try {
      release(scope, vm, runtime);
    } catch {
      // reported: the error below
    }
    throw error;
  }
  release(scope, vm, runtime);
  return outcome;
}

function release(scope: HandleScope, vm: QuickJSContext, runtime: QuickJSRuntime): void {
  scope.dispose();
  vm.dispose();
  runtime.dispose();
}

/** The interrupt handler's clock: `passed` says, and remembers, that the deadline went by. */
class Deadline {
  #at: number;
  interrupted = false;

  constructor(ms: number) {
    this.#at = performance.now() + ms;
  }

  restart(ms: number): void {
    this.#at = performance.now() + ms;
  }

  readonly passed = (): boolean => {
    if (performance.now() < this.#at) return false;
    this.interrupted = true;
    return true;
  };
}

/** Runs the script and turns what it threw into an outcome; only failures of the host side escape. */
function evaluate(guest: Guest, sandbox: CappedQuickJS, request: SandboxRequest, deadline: Deadline, onLog: (level: ScriptLogLevel, message: string) => void): SandboxOutcome {
  const { vm, scope } = guest;
  const refusedBefore = sandbox.refusedGrowths;
  let phase: "run" | "result" = "run";
  let helpers: QuickJSHandle | undefined;
  try {
    const console = new ConsoleBudget(request.maxLogLines, onLog);
    const hostLog = scope.keep(
      vm.newFunction("hostLog", (level, text) => {
        // Past the budget the line is not even copied out of the sandbox.
        if (console.take()) onLog(toLevel(vm.getString(level)), vm.getString(text));
      }),
    );
    const prelude = guest.unwrap(vm.evalCode(PRELUDE, "<prelude>", { type: "global" }));
    helpers = guest.unwrap(vm.callFunction(prelude, vm.undefined, hostLog, scope.keep(vm.newNumber(request.maxLogLineChars))));
    const input = guest.call(helpers, "parseInput", scope.keep(vm.newString(request.inputJson)));
    let value: QuickJSHandle;
    if (isModuleSource(request.code)) {
      const namespace = guest.settle(guest.unwrap(vm.evalCode(request.code, request.filename, { type: "module" })));
      value = guest.unwrap(vm.callFunction(guest.entryPoint(namespace), vm.undefined, input));
    } else {
      const body = guest.unwrap(vm.evalCode(wrapFunctionBody(request.code), request.filename, { type: "global" }));
      value = guest.unwrap(vm.callFunction(body, vm.undefined, input));
    }
    value = guest.settle(value);
    phase = "result";
    const json = guest.call(helpers, "serialize", value, scope.keep(vm.newNumber(request.maxResultChars)));
    return { ok: true, resultJson: vm.getString(json) };
  } catch (error) {
    if (!(error instanceof GuestThrow) && !(error instanceof GuestFailure)) throw error;
    const memoryMessage = `the script ran out of memory: its limit is ${Math.round(request.memoryBytes / 1048576)} MB`;
    if (deadline.interrupted) return { ok: false, kind: "timeout", message: `the script ran past its time limit of ${request.timeoutMs} ms and was interrupted` };
    if (sandbox.refusedGrowths > refusedBefore) return { ok: false, kind: "memory", message: memoryMessage };
    if (error instanceof GuestFailure) return { ok: false, kind: error.kind, message: error.message };
    // Describe the thrown value with a little room: the script may have used up its time or heap.
    guest.runtime.setMemoryLimit(request.memoryBytes + DESCRIBE_HEADROOM_BYTES);
    deadline.restart(DESCRIBE_MS);
    const described = helpers ? describe(guest, helpers, error.handle) : { name: "", message: "the script sandbox could not start" };
    // QuickJS refuses a single allocation larger than the limit with this error.
    if (described.name === "InternalError" && described.message === "out of memory") return { ok: false, kind: "memory", message: memoryMessage };
    const text = described.name ? `${described.name}: ${described.message}` : described.message;
    if (phase === "result") return { ok: false, kind: "result", message: `the script's result is not JSON: ${text}` };
    return { ok: false, kind: "error", message: text, ...(described.stack ? { stack: described.stack } : {}) };
  }
}

function describe(guest: Guest, helpers: QuickJSHandle, thrown: QuickJSHandle): { name: string; message: string; stack?: string } {
  try {
    const text = guest.vm.getString(guest.call(helpers, "describe", thrown));
    const parsed = JSON.parse(text) as { name?: unknown; message?: unknown; stack?: unknown };
    return {
      name: typeof parsed.name === "string" ? parsed.name : "",
      message: typeof parsed.message === "string" ? parsed.message : "(no message)",
      ...(typeof parsed.stack === "string" ? { stack: parsed.stack } : {}),
    };
  } catch (error) {
    if (error instanceof GuestThrow || error instanceof GuestFailure) return { name: "", message: "(an error that could not be described)" };
    throw error;
  }
}

/** A value the script threw (or a rejected promise), still inside the sandbox. */
class GuestThrow {
  constructor(readonly handle: QuickJSHandle) {}
}

/** A failure found by the host about the script (no entry point, a promise that never settles). */
class GuestFailure {
  constructor(
    readonly kind: SandboxFailureKind,
    readonly message: string,
  ) {}
}

/** The calls into the sandbox, each turning a thrown value into a GuestThrow and keeping handles for disposal. */
class Guest {
  constructor(
    readonly vm: QuickJSContext,
    readonly runtime: QuickJSRuntime,
    readonly scope: HandleScope,
  ) {}

  unwrap(result: DisposableResult<QuickJSHandle, QuickJSHandle>): QuickJSHandle {
    if (result.error) throw new GuestThrow(this.scope.keep(result.error));
    return this.scope.keep(result.value);
  }

  call(target: QuickJSHandle, method: string, ...args: QuickJSHandle[]): QuickJSHandle {
    return this.unwrap(this.vm.callMethod(target, method, args));
  }

  /** Runs pending jobs until `handle` (a promise or not) is settled; there is nothing else to wait for. */
  settle(handle: QuickJSHandle): QuickJSHandle {
    for (;;) {
      const state = this.vm.getPromiseState(handle);
      if (state.type === "fulfilled") return state.notAPromise ? handle : this.scope.keep(state.value);
      if (state.type === "rejected") throw new GuestThrow(this.scope.keep(state.error));
      const jobs = this.runtime.executePendingJobs();
      if (jobs.error) throw new GuestThrow(this.scope.keep(jobs.error));
      if (jobs.value === 0) throw new GuestFailure("error", "the script's promise never settled: the sandbox has no timers or I/O, so nothing could settle it later");
    }
  }

  /** A module's `main` export, else its default export when that is a function. */
  entryPoint(namespace: QuickJSHandle): QuickJSHandle {
    for (const name of ["main", "default"]) {
      const candidate = this.scope.keep(this.vm.getProp(namespace, name));
      if (this.vm.typeof(candidate) === "function") return candidate;
    }
    throw new GuestFailure("error", "the module exports no main function: write `export function main(input) { ... }`");
  }
}

class HandleScope {
  #handles: QuickJSHandle[] = [];

  keep(handle: QuickJSHandle): QuickJSHandle {
    this.#handles.push(handle);
    return handle;
  }

  dispose(): void {
    for (const handle of this.#handles.reverse()) if (handle.alive) handle.dispose();
    this.#handles = [];
  }
}

const LEVELS = new Set<string>(["debug", "info", "warn", "error"]);

function toLevel(level: string): ScriptLogLevel {
  return LEVELS.has(level) ? (level as ScriptLogLevel) : "info";
}

/** Bounds what `console` can write: at most `maxLines` lines (each already cut to length in the sandbox). */
class ConsoleBudget {
  #lines = 0;
  #dropped = false;

  constructor(
    private readonly maxLines: number,
    private readonly onLog: (level: ScriptLogLevel, message: string) => void,
  ) {}

  /** Whether one more line may be written; says once that further lines are dropped. */
  take(): boolean {
    if (this.#lines < this.maxLines) {
      this.#lines += 1;
      return true;
    }
    if (!this.#dropped) {
      this.#dropped = true;
      this.onLog("warn", `console output limit of ${this.maxLines} lines reached; further lines are dropped`);
    }
    return false;
  }
}
