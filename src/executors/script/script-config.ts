// The `script` step's config (checked when a definition is validated and again, rendered, when the
// step runs) and the executor's options with their defaults, resolved once.
import { availableParallelism } from "node:os";
import { z } from "zod";
import { parseDuration } from "../../core/duration.js";
import { ConfigError, ValidationError } from "../../core/errors.js";
import { scriptNameProblem } from "./script-source.js";

/** `node` is seed 001's name for JavaScript; Node's own APIs are not in the sandbox. */
export const SCRIPT_RUNTIMES = ["javascript", "js", "node", "python"] as const;

const isTemplate = (value: string) => value.includes("{{");

const durationValue = z.union([z.string(), z.number().positive()]).superRefine((value, ctx) => {
  if (typeof value === "string" && isTemplate(value)) return;
  try {
    if (parseDuration(value) <= 0) ctx.addIssue({ code: "custom", message: "must be longer than 0" });
  } catch (error) {
    ctx.addIssue({ code: "custom", message: error instanceof ValidationError ? (error.issues[0]?.message ?? error.message) : String(error) });
  }
});

const scriptName = z.string().superRefine((name, ctx) => {
  if (isTemplate(name)) return; // checked again once rendered
  const problem = scriptNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: problem });
});

export const scriptConfigSchema = z
  .object({
    code: z.string().optional().meta({ description: "Inline JavaScript: a function body (top-level `return`) or a module exporting `main(input)`." }),
    script: scriptName.optional().meta({ description: "A script file name, relative to the script folder or the tenant's script library." }),
    runtime: z.enum(SCRIPT_RUNTIMES).optional().meta({ description: "javascript (default; js and node are the same), or python (Pyodide; the default for a .py file)." }),
    timeout: durationValue.optional().meta({ description: "Time limit of one run (default 30s, capped by the node's maximum)." }),
    memory_limit_mb: z.number().positive().optional().meta({ description: "Memory limit of one run in MB (default 64, capped by the node's maximum)." }),
    args: z.record(z.string(), z.unknown()).optional().meta({ description: "Values the script sees in `input`; the step's input_mapping wins over them." }),
  })
  .strict()
  .refine((c) => (c.code === undefined) !== (c.script === undefined), { message: "give exactly one of code or script" });

export type ScriptConfig = z.infer<typeof scriptConfigSchema>;

/** The rendered config of a running step, or a ValidationError with every problem at `config.<field>`. */
export function parseScriptConfig(config: Record<string, unknown>): ScriptConfig {
  const result = scriptConfigSchema.safeParse(config);
  if (result.success) return result.data;
  throw new ValidationError(result.error.issues.map((issue) => ({ path: ["config", ...issue.path.map(String)].join("."), message: issue.message })));
}

export interface ScriptExecutorOptions {
  /** The folder `script:` names resolve in; for `synergymesh run`, the definition file's folder. */
  scriptRoot?: string;
  /** The tenant's script library (the server); tried before `scriptRoot`. Returns undefined when there is no such script. */
  loadScript?: (tenantId: string, name: string) => Promise<string | undefined>;
  /** Time limit when the config gives none. Default 30 000 ms. */
  defaultTimeoutMs?: number;
  /** Longest time limit a config may ask for; longer ones are lowered to it. Default 300 000 ms (5 min). */
  maxTimeoutMs?: number;
  /** Memory limit when the config gives none. Default 64 MB. */
  defaultMemoryMb?: number;
  /** Largest memory limit a config may ask for; larger ones are lowered to it. Default 512 MB (at most 2000). */
  maxMemoryMb?: number;
  /** Scripts running at once on this node; further ones wait for a worker. Default: the number of CPUs, at least 4. */
  maxWorkers?: number;
  /** Warm workers kept between runs (each holds its own QuickJS module); 0 starts a worker per run. Default 2. */
  poolSize?: number;
  /** A warm worker left idle this long is ended. Default 60 000 ms. */
  idleTimeoutMs?: number;
  /** How long past its time limit a script that does not yield may run before its worker is terminated. Default 1000 ms. */
  wallClockGraceMs?: number;
  /** `console` lines kept per run. Default 100. */
  maxLogLines?: number;
  /** Characters kept of one `console` line. Default 4000. */
  maxLogLineChars?: number;
  /** Largest result, in characters of JSON. Default 1 048 576. */
  maxResultChars?: number;
  /** Largest script file. Default 1 MiB. */
  maxScriptBytes?: number;
  /** Python scripts (Pyodide). */
  python?: PythonOptions;
}

export interface PythonOptions {
  /** Loaded Pyodide workers kept ready for the next Python script (each is used once). Default 1; 0 loads one per run. */
  warmWorkers?: number;
  /** Python scripts running at once; further ones wait. Default 2. */
  maxWorkers?: number;
  /** How long loading Pyodide may take. Default 30 000 ms. */
  startTimeoutMs?: number;
  /** The worker's JavaScript heap in MB (not Pyodide's WebAssembly memory). Default 256. */
  maxHeapMb?: number;
}

export interface ResolvedScriptExecutorOptions {
  readonly scriptRoot?: string;
  readonly loadScript?: (tenantId: string, name: string) => Promise<string | undefined>;
  readonly defaultTimeoutMs: number;
  readonly maxTimeoutMs: number;
  readonly defaultMemoryMb: number;
  readonly maxMemoryMb: number;
  readonly maxWorkers: number;
  readonly poolSize: number;
  readonly idleTimeoutMs: number;
  readonly wallClockGraceMs: number;
  readonly maxLogLines: number;
  readonly maxLogLineChars: number;
  readonly maxResultChars: number;
  readonly maxScriptBytes: number;
  readonly python: { readonly warmWorkers: number; readonly maxWorkers: number; readonly startTimeoutMs: number; readonly maxHeapMb: number };
}

/** WASM32 memory ends at 2 GB; the engine's own baseline needs some of it. */
const MEMORY_CEILING_MB = 2000;

export function resolveScriptExecutorOptions(options: ScriptExecutorOptions = {}): ResolvedScriptExecutorOptions {
  const number = (name: keyof ScriptExecutorOptions, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw new ConfigError(`script.${name}`, `must be a whole number from ${min} to ${max}, got ${String(value)}`);
    }
    return value;
  };
  const maxTimeoutMs = number("maxTimeoutMs", 300_000, 1);
  const maxMemoryMb = number("maxMemoryMb", 512, 1, MEMORY_CEILING_MB);
  if (options.loadScript !== undefined && typeof options.loadScript !== "function") throw new ConfigError("script.loadScript", "must be a function (tenantId, name) => Promise<string | undefined>");
  if (options.scriptRoot !== undefined && (typeof options.scriptRoot !== "string" || options.scriptRoot === "")) throw new ConfigError("script.scriptRoot", "must be a folder path");
  return Object.freeze({
    ...(options.scriptRoot !== undefined ? { scriptRoot: options.scriptRoot } : {}),
    ...(options.loadScript !== undefined ? { loadScript: options.loadScript } : {}),
    defaultTimeoutMs: Math.min(number("defaultTimeoutMs", 30_000, 1), maxTimeoutMs),
    maxTimeoutMs,
    defaultMemoryMb: Math.min(number("defaultMemoryMb", 64, 1), maxMemoryMb),
    maxMemoryMb,
    maxWorkers: number("maxWorkers", Math.max(4, availableParallelism()), 1, 1024),
    poolSize: number("poolSize", 2, 0, 1024),
    idleTimeoutMs: number("idleTimeoutMs", 60_000, 0),
    wallClockGraceMs: number("wallClockGraceMs", 1000, 0),
    maxLogLines: number("maxLogLines", 100, 0),
    maxLogLineChars: number("maxLogLineChars", 4000, 1),
    maxResultChars: number("maxResultChars", 1_048_576, 1),
    maxScriptBytes: number("maxScriptBytes", 1_048_576, 1),
    python: Object.freeze(resolvePythonOptions(options.python ?? {})),
  });
}

function resolvePythonOptions(options: PythonOptions) {
  const number = (name: keyof PythonOptions, fallback: number, min: number, max: number): number => {
    const value = options[name] ?? fallback;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) throw new ConfigError(`python.${name}`, `must be a whole number from ${min} to ${max}, got ${String(value)}`);
    return value;
  };
  return {
    warmWorkers: number("warmWorkers", 1, 0, 64),
    maxWorkers: number("maxWorkers", 2, 1, 256),
    startTimeoutMs: number("startTimeoutMs", 30_000, 1, 600_000),
    maxHeapMb: number("maxHeapMb", 256, 16, 16_384),
  };
}
