// Where a `script:` name's code comes from: the tenant's script library (`loadScript`, the server)
// first, then a folder (`scriptRoot`, next to the definition for `synergymesh run`). Names are plain
// relative paths; traversal, absolute paths and symlinks that lead out of the folder are refused.
import { readFile, realpath, stat } from "node:fs/promises";
import { isAbsolute, relative, resolve, sep } from "node:path";
import { NonRetryableError, ValidationError } from "../../core/errors.js";

export interface ScriptSourceOptions {
  readonly scriptRoot?: string;
  readonly loadScript?: (tenantId: string, name: string) => Promise<string | undefined>;
  readonly maxScriptBytes: number;
}

export interface ScriptSource {
  readonly code: string;
  /** Shown in stack traces. */
  readonly filename: string;
}

/** Why `name` is not an acceptable script name, or undefined when it is. Pure: used by the config schema too. */
export function scriptNameProblem(name: string): string | undefined {
  if (name.trim() === "") return "must name a script file";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(name)) return "must not contain control characters";
  if (name.startsWith("/") || name.startsWith("\\") || /^[A-Za-z]:/.test(name) || isAbsolute(name)) {
    return `${JSON.stringify(name)} is an absolute path; name a file relative to the script folder`;
  }
  if (name.split(/[\\/]/).includes("..")) return `${JSON.stringify(name)} leaves the script folder (..); name a file inside it`;
  return undefined;
}

export async function loadScriptSource(name: string, tenantId: string, options: ScriptSourceOptions): Promise<ScriptSource> {
  const problem = scriptNameProblem(name);
  if (problem) throw new ValidationError([{ path: "config.script", message: problem }]);
  if (!options.loadScript && options.scriptRoot === undefined) {
    throw new NonRetryableError(`config.script names ${JSON.stringify(name)}, but this orchestrator has no script folder or script library; give the code inline as config.code`);
  }
  const fromLibrary = options.loadScript ? await options.loadScript(tenantId, name) : undefined;
  const code = fromLibrary ?? (options.scriptRoot !== undefined ? await readFromRoot(options.scriptRoot, name, options.maxScriptBytes) : undefined);
  if (code === undefined) throw new NonRetryableError(`script ${JSON.stringify(name)} was not found${options.scriptRoot !== undefined ? ` in ${options.scriptRoot}` : " in the tenant's script library"}`);
  if (Buffer.byteLength(code) > options.maxScriptBytes) throw new NonRetryableError(`script ${JSON.stringify(name)} is larger than the limit of ${options.maxScriptBytes} bytes`);
  return { code, filename: name };
}

async function readFromRoot(scriptRoot: string, name: string, maxBytes: number): Promise<string | undefined> {
  let root: string;
  try {
    root = await realpath(scriptRoot);
  } catch {
    throw new NonRetryableError(`the script folder ${scriptRoot} does not exist`);
  }
  let file: string;
  try {
    file = await realpath(resolve(root, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT" || (error as NodeJS.ErrnoException).code === "ENOTDIR") return undefined;
    throw error;
  }
  // The name was checked, but a symlink inside the folder may still point out of it.
  const inside = relative(root, file);
  if (inside === ".." || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new ValidationError([{ path: "config.script", message: `${JSON.stringify(name)} resolves outside the script folder` }]);
  }
  const info = await stat(file);
  if (!info.isFile()) return undefined;
  if (info.size > maxBytes) throw new NonRetryableError(`script ${JSON.stringify(name)} is larger than the limit of ${maxBytes} bytes`);
  return readFile(file, "utf8");
}
