// The `synergymesh` command: `version`, `validate FILE...`, `run FILE` and `serve` (docs/cli.md).
// The API commands (tenants, workflows, audit export over HTTP) are still to come. Commands set
// the exit code; main() returns it.
import { Command, CommanderError } from "commander";
import { EXIT, UsageError, processIO, writeLine, type CliIO } from "./cli-io.js";
import { formatIssueLines, locateIssue } from "./format-issues.js";
import { addRunCommand } from "./run-command.js";
import { addServeCommand } from "./serve-command.js";
import { packageVersion } from "./version.js";
import { addValidateCommand } from "./validate-command.js";

export { packageVersion };

export function buildProgram(io: CliIO = processIO()): Command {
  const program = new Command("synergymesh")
    .description("Multi-tenant workflow orchestrator: durable workflows, tiers, quotas, fair scheduling, tamper-evident audit.")
    .version(packageVersion(), "-V, --version", "print the version")
    // Set before the subcommands are made: `.command()` copies these to each of them.
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout.write(text), writeErr: (text) => io.stderr.write(text) })
    .showHelpAfterError("(add --help for usage)");
  program
    .command("version")
    .description("print the version")
    .action(() => {
      writeLine(io.stdout, packageVersion());
    });
  addValidateCommand(program, io);
  addRunCommand(program, io);
  addServeCommand(program, io);
  return program;
}

/** Runs the CLI and returns its exit code (docs/cli.md): callers set process.exitCode, never exit. */
export async function main(argv: string[] = process.argv, io: CliIO = processIO()): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv);
    return io.exitCode;
  } catch (error) {
    return reportError(error, io);
  }
}

async function reportError(error: unknown, io: CliIO): Promise<number> {
  // Commander has printed its own message (or the help / version) already.
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
  if (error instanceof UsageError) {
    for (const line of error.message.split("\n")) writeLine(io.stderr, `error: ${line}`);
    return EXIT.usage;
  }
  writeLine(io.stderr, `error: ${error instanceof Error ? error.message.split("\n", 1)[0] : String(error)}`);
  // The library is loaded by now if it threw; `version` and `--help` never load it.
  const { SynergyMeshError, ValidationError } = await import("../index.js");
  if (error instanceof ValidationError) {
    for (const line of formatIssueLines(error.issues.map(locateIssue))) writeLine(io.stderr, line);
    return EXIT.usage;
  }
  if (error instanceof SynergyMeshError && error.code === "CONFIG_INVALID") return EXIT.usage;
  return EXIT.failed;
}
