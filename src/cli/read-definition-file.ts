// Reads a definition file for `validate` and `run`. A file that cannot be read is a usage error
// (exit 2) whose message names the file and why, never a stack trace.
import { readFileSync } from "node:fs";
import { UsageError } from "./cli-io.js";

export function readDefinitionFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" || code === "EPERM" ? "permission denied" : ((error as Error).message ?? String(error));
    throw new UsageError(`cannot read ${file}: ${reason}`);
  }
}
