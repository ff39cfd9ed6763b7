// Definition problems as the CLI prints them: the library appends `(line L, column C)` to a
// message when it knows where the problem is written; here that becomes `L:C` in front, so a
// report reads like a compiler's and the JSON form carries line and column as numbers.
import type { ValidationIssue } from "../index.js";

export interface LocatedIssue {
  path: string;
  /** The library's message without its position suffix. */
  message: string;
  code: string | null;
  line?: number;
  column?: number;
}

const POSITION_SUFFIX = / \(line (\d+), column (\d+)\)$/;
// Syntax errors say where inside the message: "YAML syntax error at line 2, column 1: ...".
const POSITION_INSIDE = /\bat line (\d+), column (\d+)\b/;

export function locateIssue(issue: ValidationIssue): LocatedIssue {
  const base = { path: issue.path, code: issue.code ?? null };
  const suffix = POSITION_SUFFIX.exec(issue.message);
  if (suffix) return { ...base, message: issue.message.slice(0, suffix.index), line: Number(suffix[1]), column: Number(suffix[2]) };
  const inside = POSITION_INSIDE.exec(issue.message);
  if (inside) return { ...base, message: issue.message, line: Number(inside[1]), column: Number(inside[2]) };
  return { ...base, message: issue.message };
}

/** One line per problem, indented, positions aligned: `  4:11  steps[0].type: unknown step type ... [unknown_type]`. */
export function formatIssueLines(issues: readonly LocatedIssue[]): string[] {
  const positions = issues.map((issue) => (issue.line !== undefined ? `${issue.line}:${issue.column ?? 1}` : ""));
  const width = Math.max(0, ...positions.map((p) => p.length));
  return issues.map((issue, index) => {
    const position = width > 0 ? `${(positions[index] ?? "").padEnd(width)}  ` : "";
    // One problem, one line: some parser messages quote the source across lines.
    const message = issue.message.replace(/\s*\n\s*/g, " ");
    return `  ${position}${issue.path}: ${message}${issue.code ? ` [${issue.code}]` : ""}`;
  });
}

export function problemCount(count: number): string {
  return count === 1 ? "1 problem" : `${count} problems`;
}
