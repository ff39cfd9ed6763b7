// What every command shares: where it writes, the exit codes it ends with, and the usage error
// that ends a command with exit code 2. Commands never call process.exit (piped stdout must drain).
import type { Writable } from "node:stream";

/** Exit codes of every command (docs/cli.md). */
export const EXIT = {
  /** The command did what was asked: definitions valid, execution completed. */
  ok: 0,
  /** Definitions invalid (`validate`), execution failed / timed out / cancelled (`run`), or a runtime error. */
  failed: 1,
  /** Bad usage: unknown option, missing or unreadable file, bad `--input`, invalid definition for `run`. */
  usage: 2,
  /** Interrupted by Ctrl-C (SIGINT), 128 + 2 as shells report it. */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The streams a command writes to; process.stdout / process.stderr outside tests. */
export interface CliIO {
  readonly stdout: Writable & { isTTY?: boolean };
  readonly stderr: Writable;
  /** Set by a command's action; main() returns it. */
  exitCode: ExitCode;
}

let stdoutGuarded = false;

export function processIO(): CliIO {
  // `synergymesh validate *.yaml | head`: a reader that goes away is not an error of ours.
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      process.exit(typeof process.exitCode === "number" ? process.exitCode : EXIT.ok);
    });
  }
  return { stdout: process.stdout, stderr: process.stderr, exitCode: EXIT.ok };
}

/** A problem with how the command was called (exit 2); the message names what to fix. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export function writeLine(stream: Writable, line = ""): void {
  stream.write(`${line}\n`);
}
