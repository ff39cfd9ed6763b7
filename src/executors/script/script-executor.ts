// The `script` step: JavaScript run in a QuickJS (WebAssembly) sandbox inside a worker thread, with a
// memory cap, a time limit and the worker's termination as the wall-clock backstop. The script sees
// `input` and `console`; its JSON result is the step's output. See docs/workflows.md, "script".
import { NonRetryableError } from "../../core/errors.js";
import { parseDuration } from "../../core/duration.js";
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { ENGINE_BASELINE_BYTES } from "./quickjs-sandbox.js";
import { PythonPool } from "./python-pool.js";
import { QUICKJS_STACK_BYTES, SandboxPool } from "./sandbox-pool.js";
import type { SandboxPoolStats } from "./sandbox-pool.js";
import type { SandboxOutcome } from "./sandbox-protocol.js";
import { parseScriptConfig, resolveScriptExecutorOptions, scriptConfigSchema } from "./script-config.js";
import type { ResolvedScriptExecutorOptions, ScriptConfig, ScriptExecutorOptions } from "./script-config.js";
import { loadScriptSource } from "./script-source.js";
import type { ScriptSource } from "./script-source.js";

export type { ScriptExecutorOptions } from "./script-config.js";
export type { SandboxPoolStats } from "./sandbox-pool.js";

export type { PythonOptions } from "./script-config.js";

export interface ScriptExecutor extends StepExecutor {
  /** Terminates the warm workers (and any script still running); later runs fail. */
  close(): Promise<void>;
  /** Worker counts: idle, busy, started, terminated, runs, warm runs. */
  stats(): SandboxPoolStats;
}

const MB = 1024 * 1024;

export function createScriptExecutor(options: ScriptExecutorOptions = {}): ScriptExecutor {
  const resolved = resolveScriptExecutorOptions(options);
  const pool = new SandboxPool(resolved);
  // Made at the first Python step: loading Pyodide costs seconds of CPU that JavaScript users should not pay.
  let python: PythonPool | undefined;
  let closed = false;
  const pythonPool = () => {
    if (closed) throw new Error("the script executor is closed");
    return (python ??= new PythonPool(resolved.python));
  };
  return {
    type: "script",
    configSchema: scriptConfigSchema,
    execute: (ctx) => runScript(ctx, resolved, pool, pythonPool),
    close: async () => {
      closed = true;
      await Promise.all([pool.close(), python?.close()]);
    },
    stats: () => pool.stats(),
  };
}

async function runScript(ctx: StepContext, options: ResolvedScriptExecutorOptions, pool: SandboxPool, pythonPool: () => PythonPool): Promise<unknown> {
  const config = parseScriptConfig(ctx.config);
  const runtime = config.runtime ?? (config.script?.toLowerCase().endsWith(".py") ? "python" : "javascript");
  const source: ScriptSource = config.code !== undefined ? { code: config.code, filename: runtime === "python" ? "script.py" : "script.js" } : await loadScriptSource(config.script as string, ctx.tenantId, options);
  const timeoutMs = limit(ctx, "timeout", config.timeout === undefined ? options.defaultTimeoutMs : parseDuration(config.timeout, "config.timeout"), options.maxTimeoutMs, (ms) => `${ms} ms`);
  if (runtime === "python") {
    if (config.memory_limit_mb !== undefined) ctx.log("warn", "config.memory_limit_mb is not enforced for Python scripts (see docs/workflows.md, script)");
    const outcome = await pythonPool().run({
      request: { code: source.code, filename: source.filename, inputJson: inputJson(config, ctx.input), maxLogLines: options.maxLogLines, maxLogLineChars: options.maxLogLineChars, maxResultChars: options.maxResultChars },
      timeoutMs,
      signal: ctx.signal,
      onLog: (level, message) => ctx.log(level, message),
    });
    if (outcome.ok) return JSON.parse(outcome.resultJson) as unknown;
    throw failure(ctx, outcome, "raised");
  }
  const memoryMb = limit(ctx, "memory_limit_mb", config.memory_limit_mb ?? options.defaultMemoryMb, options.maxMemoryMb, (mb) => `${mb} MB`);
  const outcome = await pool.run({
    request: {
      code: source.code,
      filename: source.filename,
      inputJson: inputJson(config, ctx.input),
      timeoutMs,
      memoryBytes: Math.floor(memoryMb * MB),
      stackBytes: QUICKJS_STACK_BYTES,
      maxLogLines: options.maxLogLines,
      maxLogLineChars: options.maxLogLineChars,
      maxResultChars: options.maxResultChars,
    },
    // The engine's module, stack and allocator live in the same WASM memory as the script's heap.
    capBytes: Math.ceil(memoryMb) * MB + ENGINE_BASELINE_BYTES,
    signal: ctx.signal,
    onLog: (level, message) => ctx.log(level, message),
  });
  if (outcome.ok) return JSON.parse(outcome.resultJson) as unknown;
  throw failure(ctx, outcome);
}

/** The config's value, lowered to the node's maximum (with a warning in the step's log). */
function limit(ctx: StepContext, field: string, value: number, max: number, show: (n: number) => string): number {
  if (value <= max) return value;
  ctx.log("warn", `config.${field} of ${show(value)} is above this node's maximum; using ${show(max)}`);
  return max;
}

/** `input` is the step's rendered input_mapping merged over `config.args`, as JSON text. */
function inputJson(config: ScriptConfig, input: Record<string, unknown>): string {
  try {
    return JSON.stringify({ ...(config.args ?? {}), ...input });
  } catch (error) {
    throw new NonRetryableError(`the script's input cannot be written as JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/**
 * A script's failures are non-retryable: it has no I/O, so its error, its runaway loop or its memory
 * use would be the same on the next attempt. Only a sandbox that could not run it is worth a retry.
 */
function failure(ctx: StepContext, outcome: Extract<SandboxOutcome, { ok: false }>, verb = "threw"): Error {
  if (outcome.kind === "unavailable") return new Error(outcome.message);
  if (outcome.kind === "error") {
    if (outcome.stack) ctx.log("debug", "script stack trace", { stack: outcome.stack });
    return new NonRetryableError(`the script ${verb} ${outcome.message}`);
  }
  return new NonRetryableError(outcome.message);
}
