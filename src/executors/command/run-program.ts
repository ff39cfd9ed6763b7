// Runs one allow-listed program as a child process: no shell, a scrubbed environment, its own process
// group (so a kill reaches what it started), a time limit, and stdout/stderr kept up to a byte limit.
import { spawn } from "node:child_process";
import type { Readable } from "node:stream";
import { CancelledError, NonRetryableError, TimeoutError } from "../../core/errors.js";

export interface ProgramRun {
  path: string;
  args: string[];
  env: Record<string, string>;
  cwd: string | undefined;
  stdin: string | undefined;
  timeoutMs: number;
  maxOutputBytes: number;
  signal: AbortSignal;
}

export interface ProgramResult {
  exit_code: number | null;
  /** The signal that ended the process, when one did. */
  signal: string | null;
  stdout: string;
  stderr: string;
  stdout_truncated: boolean;
  stderr_truncated: boolean;
  duration_ms: number;
}

/** Collects a stream up to `max` bytes and keeps draining it, so a chatty program never blocks on a full pipe. */
function collect(stream: Readable, max: number) {
  const chunks: Buffer[] = [];
  let kept = 0;
  let truncated = false;
  stream.on("data", (chunk: Buffer) => {
    if (kept >= max) {
      truncated = true;
      return;
    }
    const room = max - kept;
    if (chunk.length > room) truncated = true;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    chunks.push(part);
    kept += part.length;
  });
  return () => ({ text: Buffer.concat(chunks).toString("utf8"), truncated });
}

/** Kills the whole process group; a group already gone is fine. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // Already ended.
  }
}

export function runProgram(run: ProgramRun): Promise<ProgramResult> {
  if (run.signal.aborted) return Promise.reject(run.signal.reason ?? new CancelledError());
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(run.path, run.args, {
      shell: false,
      env: run.env,
      cwd: run.cwd,
      // A group of its own: the kill on timeout or cancellation reaches its children too.
      detached: true,
      stdio: [run.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      windowsHide: true,
    });
    const stdout = collect(child.stdout as Readable, run.maxOutputBytes);
    const stderr = collect(child.stderr as Readable, run.maxOutputBytes);
    let ended: Error | undefined;
    const stop = (reason: Error) => {
      ended ??= reason;
      killGroup(child.pid);
    };
    const timer = setTimeout(() => stop(new TimeoutError(`${run.path}`, run.timeoutMs)), run.timeoutMs);
    const onAbort = () => stop(run.signal.reason instanceof Error ? run.signal.reason : new CancelledError());
    run.signal.addEventListener("abort", onAbort, { once: true });
    if (run.stdin !== undefined && child.stdin) {
      child.stdin.on("error", () => {}); // a program that does not read its input closes the pipe early
      child.stdin.end(run.stdin);
    }
    child.once("exit", () => killGroup(child.pid)); // nothing it started outlives it
    child.once("error", (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      run.signal.removeEventListener("abort", onAbort);
      // Spawning failed (missing file, no permission): the configuration is wrong, retrying cannot help.
      reject(new NonRetryableError(`${run.path} cannot be run: ${error.code ?? error.message}`, { cause: error }));
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      run.signal.removeEventListener("abort", onAbort);
      if (ended) return reject(ended);
      const out = stdout();
      const err = stderr();
      resolve({ exit_code: code, signal, stdout: out.text, stderr: err.text, stdout_truncated: out.truncated, stderr_truncated: err.truncated, duration_ms: Math.round(performance.now() - started) });
    });
  });
}
