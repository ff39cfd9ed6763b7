// `synergymesh validate FILE...`: loads and validates each definition against the built-in step
// types and prints every problem with its path and line:column, grouped by file.
import type { Command } from "commander";
import { Orchestrator, ValidationError } from "../index.js";
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

  const reports = await checkSources(files.map((file, index) => ({ file, source: sources[index] ?? "" })));
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

/**
 * Validation needs the registered step types, and the library offers them only through an
 * orchestrator; an in-memory one that starts no workers costs a few milliseconds and no file.
 */
async function checkSources(inputs: Array<{ file: string; source: string }>): Promise<FileReport[]> {
  const orchestrator = await Orchestrator.open({ database: ":memory:", startWorkers: false });
  try {
    return inputs.map(({ file, source }) => {
      try {
        orchestrator.validateWorkflow(source);
        return { file, valid: true, issues: [] };
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        return { file, valid: false, issues: error.issues.map(locateIssue) };
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
