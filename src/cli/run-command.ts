// `synergymesh run FILE`: runs one definition locally for the built-in `default` tenant (SPEC D
// "Tenancy outside the server") on an in-memory store unless --database is given (SPEC D "CLI
// defaults"), shows its progress, waits for the end and exits with the execution's outcome.
import { dirname, resolve as resolvePath } from "node:path";
import type { Command } from "commander";
import type { ExecutionDetails, Orchestrator, StepRow } from "../index.js";
import { EXIT, UsageError, writeLine, type CliIO, type ExitCode } from "./cli-io.js";
import { formatIssueLines, problemCount } from "./format-issues.js";
import { executionDurationMs } from "./progress.js";
import { createReporter, type ProgressReporter } from "./progress-reporter.js";
import { readDefinitionFile } from "./read-definition-file.js";
import { buildExecutionInput, type ExecutionInput } from "./run-input.js";
import { checkSources } from "./validate-command.js";

export interface RunOptions {
  input?: string[];
  inputJson?: string;
  database?: string;
  timeout?: string;
  json?: boolean;
}

/** The `--json` result: one object, printed when the execution has ended. */
export interface RunResult {
  executionId: string;
  workflowId: string;
  status: ExecutionDetails["status"];
  error: string | null;
  durationMs: number;
  output: unknown;
  /** In definition order. */
  steps: Array<{ id: string; status: StepRow["status"]; attempts: number; error: string | null; durationMs: number | null; output: unknown }>;
}

export const IN_MEMORY_DATABASE = ":memory:";

export function addRunCommand(program: Command, io: CliIO): void {
  program
    .command("run")
    .description("run a workflow definition locally, show its progress, and wait for it to end")
    .argument("<file>", "definition file (YAML or JSON)")
    .option("-i, --input <key=value>", "an input value, repeatable: JSON when it parses (n=5, ok=true), else a string; a.b=1 nests", collect)
    .option("--input-json <json>", "the input as one JSON object; --input pairs are applied on top")
    .option("--database <url>", "keep everything in this SQLite file or postgres:// database (default: in memory, nothing kept)")
    .option("--timeout <duration>", "cancel the execution when it has not ended after this long (30s, 5m; a bare number is seconds)")
    .option("--json", "print nothing live; at the end print one JSON object with the execution and its steps")
    .addHelpText("after", "\nExit codes: 0 completed, 1 failed / timed out / cancelled, 2 usage error or invalid definition, 130 interrupted (Ctrl-C cancels the execution).")
    .action(async (file: string, options: RunOptions) => {
      io.exitCode = await runCommand(file, options, io);
    });
}

// No default array: commander would print "(default: [])" in the help.
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export async function runCommand(file: string, options: RunOptions, io: CliIO): Promise<ExitCode> {
  // Loaded here, not at the top: `--help` and usage errors need none of the engine.
  const library = await import("../index.js");
  // Usage problems first, before anything is opened.
  const input = buildExecutionInput(options.input ?? [], options.inputJson);
  const timeoutMs = options.timeout === undefined ? undefined : parseTimeout(options.timeout, library.parseDuration);
  const source = readDefinitionFile(file);

  // Checked before the store is opened: an invalid definition leaves no database file behind.
  const [checked] = await checkSources([source]);
  const definition = checked?.definition;
  if (!checked || !definition) {
    const issues = checked?.issues ?? [];
    writeLine(io.stderr, `error: ${file} is not a valid workflow definition (${problemCount(issues.length)})`);
    for (const line of formatIssueLines(issues)) writeLine(io.stderr, line);
    return EXIT.usage;
  }

  // `script: file.js` names resolve next to the definition (seed 001's `validate_data.py` style).
  const orchestrator = await library.Orchestrator.open({ database: options.database ?? IN_MEMORY_DATABASE, scriptRoot: dirname(resolvePath(file)) });
  try {
    const stepIds = definition.steps.map((s) => s.id);
    const reporter = createReporter(options.json ? "json" : "auto", { io, stepIds });
    const outcome = await execute(orchestrator, { source, name: definition.name, input, timeoutMs, timeoutText: options.timeout }, reporter);
    reporter.end(outcome.details);
    if (options.json) writeLine(io.stdout, JSON.stringify(runResult(outcome.details, stepIds), null, 2));
    if (outcome.interrupted) return EXIT.interrupted;
    return outcome.details.status === "completed" ? EXIT.ok : EXIT.failed;
  } finally {
    await orchestrator.close();
  }
}

interface ExecuteRequest {
  source: string;
  name: string;
  input: ExecutionInput;
  timeoutMs: number | undefined;
  timeoutText: string | undefined;
}

interface ExecuteOutcome {
  details: ExecutionDetails;
  interrupted: boolean;
}

/** Registers, starts and follows the execution; Ctrl-C and --timeout cancel it. */
async function execute(orchestrator: Orchestrator, request: ExecuteRequest, reporter: ProgressReporter): Promise<ExecuteOutcome> {
  const { workflowId, version } = await orchestrator.registerWorkflow(request.source);

  // The engine emits the start and may run the first steps before startExecution returns, and a
  // shared --database may run other executions: events wait here until our id is known.
  let executionId: string | undefined;
  const early: Array<{ executionId: string; show: () => void }> = [];
  const route = (id: string, show: () => void) => {
    if (executionId === undefined) early.push({ executionId: id, show });
    else if (id === executionId) show();
  };
  const onStepStarted = (e: { executionId: string; stepId: string; attempt: number }) => route(e.executionId, () => reporter.stepStarted(e));
  const onStepFinished = (e: { executionId: string; stepId: string; status: StepRow["status"]; error: string | null }) => route(e.executionId, () => reporter.stepFinished(e));
  orchestrator.events.on("step.started", onStepStarted);
  orchestrator.events.on("step.finished", onStepFinished);

  let interrupted = false;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  const cancel = (id: string) => {
    orchestrator.cancelExecution(id, { userId: "cli" }).catch((error: unknown) => {
      // CONFLICT: it ended in the meantime, which is what we wanted anyway.
      if ((error as { code?: unknown }).code !== "CONFLICT") reporter.notice(`could not cancel execution ${id}: ${(error as Error).message}`);
    });
  };
  const onSigint = () => {
    if (interrupted || executionId === undefined) {
      // A second Ctrl-C does not wait for the cancel to be committed.
      process.exit(EXIT.interrupted);
    }
    interrupted = true;
    reporter.notice(`interrupted: cancelling execution ${executionId} (Ctrl-C again to quit at once)`);
    cancel(executionId);
  };
  try {
    const started = await orchestrator.startExecution(workflowId, request.input, { userId: "cli" });
    executionId = started.executionId;
    const id = started.executionId;
    process.on("SIGINT", onSigint);
    reporter.begin({ executionId: id, workflowId, version, name: request.name });
    for (const event of early.splice(0)) if (event.executionId === id) event.show();
    if (request.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        reporter.notice(`--timeout ${request.timeoutText} reached: cancelling execution ${id}`);
        cancel(id);
      }, request.timeoutMs);
    }
    const details = await orchestrator.waitForExecution(id);
    // The cancel of a timeout is what ended it: say so instead of "cancelled by user".
    return { details: timedOut && details.status === "cancelled" ? { ...details, error: `--timeout ${request.timeoutText} reached; the execution was cancelled` } : details, interrupted };
  } finally {
    if (timer) clearTimeout(timer);
    process.off("SIGINT", onSigint);
    orchestrator.events.off("step.started", onStepStarted);
    orchestrator.events.off("step.finished", onStepFinished);
  }
}

export function runResult(details: ExecutionDetails, stepIds: readonly string[]): RunResult {
  const rows = new Map(details.steps.map((row) => [row.stepId, row]));
  return {
    executionId: details.executionId,
    workflowId: details.workflowId,
    status: details.status,
    error: details.error,
    durationMs: executionDurationMs(details, Date.now()),
    output: details.output,
    steps: stepIds.flatMap((id) => {
      const row = rows.get(id);
      if (!row) return [];
      const durationMs = row.startedAt !== null && row.finishedAt !== null ? row.finishedAt - row.startedAt : null;
      return [{ id, status: row.status, attempts: row.attempts, error: row.error, durationMs, output: row.output }];
    }),
  };
}

function parseTimeout(text: string, parseDuration: (value: string, path: string) => number): number {
  let ms: number;
  try {
    ms = parseDuration(text, "--timeout");
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (ms <= 0) throw new UsageError("--timeout must be longer than 0");
  return ms;
}
