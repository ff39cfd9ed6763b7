// Runs the CLI as users do, as a child process from the sources (`node --import tsx
// --conditions=source src/cli/run.ts ...`, cwd the repo root), and collects its output and exit code.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const FIXTURES = "test/cli/fixtures";

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliProcess {
  child: ChildProcess;
  /** Resolves once stdout has a line matching `pattern` (rejects if the process ends first). */
  waitForLine(pattern: RegExp): Promise<string>;
  done: Promise<CliResult>;
}

/**
 * `SYNERGYMESH_DATABASE_URL` points at a server that does not exist: `run` must not use it
 * (SPEC D "CLI defaults"), so every test that runs a workflow also checks that.
 */
export const CLI_ENV: NodeJS.ProcessEnv = {
  ...process.env,
  SYNERGYMESH_DATABASE_URL: "postgres://nobody@127.0.0.1:1/not-used-by-the-cli",
  SYNERGYMESH_LOG_LEVEL: "warn",
};

export function startCli(args: readonly string[], env: NodeJS.ProcessEnv = CLI_ENV): CliProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", "src/cli/run.ts", ...args], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const lineWaiters: Array<{ pattern: RegExp; resolve: (line: string) => void }> = [];
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
    for (const waiter of [...lineWaiters]) {
      const line = stdout.split("\n").find((l) => waiter.pattern.test(l));
      if (line !== undefined) {
        lineWaiters.splice(lineWaiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    child,
    done,
    waitForLine: (pattern) =>
      new Promise<string>((resolve, reject) => {
        const seen = stdout.split("\n").find((l) => pattern.test(l));
        if (seen !== undefined) return resolve(seen);
        lineWaiters.push({ pattern, resolve });
        done.then(() => reject(new Error(`the CLI ended before printing a line matching ${pattern}:\n${stdout}\n${stderr}`)), reject);
      }),
  };
}

export function runCli(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<CliResult> {
  return startCli(args, env).done;
}

export function lines(text: string): string[] {
  return text.split("\n").filter((line) => line !== "");
}
