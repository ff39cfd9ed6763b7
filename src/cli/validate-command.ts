// `synergymesh validate FILE...`: loads and validates each definition against the built-in step
// types and prints every problem with its path and line:column, grouped by file.
import type { Command } from "commander";
import type { WorkflowDefinition } from "../index.js";
import { EXIT, UsageError, writeLine, type CliIO } from "./cli-io.js";
import { formatIssueLines, locateIssue, problemCount, type LocatedIssue } from "./format-issues.js";
import { readDefinitionFile } from "./read-definition-file.js";

export interface FileReport {
  file: string;
  valid: boolean;
  issues: LocatedIssue[];
}

export function addValidateCommand(program: Command, io: CliIO): void {
  program
    .command("validate")
    .description("load and validate workflow definitions (YAML or JSON) against the built-in step types")
    .argument("<files...>", "definition files")
    .option("--json", "print one JSON report: { files: [{ file, valid, issues: [{ path, message, code, line, column }] }] }")
    .addHelpText("after", "\nExit codes: 0 every file is valid, 1 some file is invalid, 2 usage error (e.g. a file cannot be read).")
    .action(async (files: string[], options: { json?: boolean }) => {
      io.exitCode = await validateCommand(files, options, io);
    });
}

export async function validateCommand(files: string[], options: { json?: boolean }, io: CliIO): Promise<typeof EXIT.ok | typeof EXIT.failed> {
  // Every file is read before any is checked: a typo in one name is a usage error, not a report.
  const unreadable: string[] = [];
  const sources = files.map((file) => {
    try {
      return readDefinitionFile(file);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      unreadable.push(error.message);
      return "";
    }
  });
  if (unreadable.length > 0) throw new UsageError(unreadable.join("\n"));

  const checked = await checkSources(sources);
  const reports: FileReport[] = files.map((file, index) => {
    const issues = checked[index]?.issues ?? [];
    return { file, valid: issues.length === 0, issues };
  });
  if (options.json) {
    writeLine(io.stdout, JSON.stringify({ files: reports }, null, 2));
  } else {
    for (const report of reports) printReport(report, io);
    if (reports.length > 1) {
      const invalid = reports.filter((r) => !r.valid).length;
      writeLine(io.stdout, `${reports.length} files: ${reports.length - invalid} valid, ${invalid} invalid`);
    }
  }
  return reports.every((r) => r.valid) ? EXIT.ok : EXIT.failed;
}

export interface CheckedSource {
  /** The model, when the source is valid. */
  definition: WorkflowDefinition | undefined;
  issues: LocatedIssue[];
}

/**
 * Loads and validates definitions against the built-in step types. The library offers the
 * registered types only through an orchestrator, so this opens an in-memory one that starts no
 * workers: a few milliseconds, no file, nothing left behind.
 */
export async function checkSources(sources: readonly string[]): Promise<CheckedSource[]> {
  // Loaded here, not at the top: `--help` and usage errors need none of the engine.
  const { Orchestrator, ValidationError } = await import("../index.js");
  const orchestrator = await Orchestrator.open({ database: ":memory:", startWorkers: false });
  try {
    return sources.map((source) => {
      try {
        return { definition: orchestrator.validateWorkflow(source), issues: [] };
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return { definition: undefined, issues: error.issues.map(locateIssue) };
      }
    });
  } finally {
    await orchestrator.close();
  }
}

function printReport(report: FileReport, io: CliIO): void {
  if (report.valid) {
    writeLine(io.stdout, `${report.file}: valid`);
    return;
  }
  writeLine(io.stdout, `${report.file}: ${problemCount(report.issues.length)}`);
  for (const line of formatIssueLines(report.issues)) writeLine(io.stdout, line);
}
