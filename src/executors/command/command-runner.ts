// Runs what a command or remediation step asks for: an allow-listed local program, or the agent
// manager when the tool is not local; the exit code decides success. Shared by both step types.
import { tmpdir } from "node:os";
import { parseDuration } from "../../core/duration.js";
import { NonRetryableError, ValidationError } from "../../core/errors.js";
import type { StepContext } from "../../engine/step-executor.js";
import type { EgressExecutorOptions } from "../http/http-request.js";
import { callAgentManager } from "./agent-manager-client.js";
import type { CommandFields } from "./command-config.js";
import type { ResolvedCommandOptions } from "../../config/command-options.js";
import type { ProgramResult } from "./run-program.js";
import { runProgram } from "./run-program.js";

export interface CommandOutput extends ProgramResult {
  /** The tool and its arguments as run (the program's path is not shown). */
  command: string[];
  /** `local`, or `agent_manager` when forwarded. */
  ran_on: "local" | "agent_manager";
  /** stdout parsed as JSON with `parse_json: true` (null when it does not parse). */
  json?: unknown;
}

export interface CommandRunnerOptions extends EgressExecutorOptions {
  commands: ResolvedCommandOptions;
}

/** How much of stderr a failure message quotes. */
const ERROR_EXCERPT_CHARS = 300;

export async function runCommand(ctx: StepContext, options: CommandRunnerOptions, fields: CommandFields, toolPath: string): Promise<CommandOutput> {
  const { commands } = options;
  const args = [...(fields.action !== undefined ? [fields.action] : []), ...(fields.args ?? []).map(String)];
  const configured = fields.timeout === undefined ? undefined : parseDuration(fields.timeout, "config.timeout");
  const env = Object.fromEntries(Object.entries(fields.env ?? {}).map(([k, v]) => [k, String(v)]));
  const maxOutputBytes = Math.min(fields.max_output_bytes ?? commands.maxOutputBytes, commands.maxOutputBytes);
  const program = commands.programs.get(fields.tool);
  let result: ProgramResult;
  let ranOn: CommandOutput["ran_on"];
  if (program) {
    if (fields.agent !== undefined) throw new ValidationError([{ path: "config.agent", message: `${fields.tool} is a local program; agent names a remote agent of the agent manager` }]);
    ranOn = "local";
    result = await runProgram({
      path: program.path,
      args: [...program.args, ...args],
      env: { ...commands.env, ...program.env, ...env },
      cwd: commands.cwd ?? tmpdir(),
      stdin: fields.stdin,
      timeoutMs: Math.min(configured ?? commands.timeoutMs, commands.timeoutMs),
      maxOutputBytes,
      signal: ctx.signal,
    });
  } else {
    const manager = commands.agentManager;
    if (!manager || (manager.tools !== undefined && !manager.tools.includes(fields.tool))) {
      const local = [...commands.programs.keys()].sort();
      const remote = manager ? (manager.tools ? ` (the agent manager takes ${manager.tools.join(", ")})` : "") : "";
      throw new NonRetryableError(`${toolPath}: ${JSON.stringify(fields.tool)} is not an allowed program; allowed: ${local.length ? local.join(", ") : "none"}${remote}`);
    }
    ranOn = "agent_manager";
    result = await callAgentManager(ctx, options, manager, {
      tool: fields.tool,
      args,
      env,
      stdin: fields.stdin,
      agent: fields.agent,
      timeoutMs: configured,
      maxOutputBytes,
    });
  }
  const output: CommandOutput = { ...result, command: [fields.tool, ...args], ran_on: ranOn };
  if (fields.parse_json) output.json = parseJson(result.stdout);
  const okCodes = fields.ok_exit_codes ?? [0];
  if (result.exit_code === null || !okCodes.includes(result.exit_code)) {
    const how = result.exit_code === null ? `was ended by ${result.signal ?? "a signal"}` : `exited with code ${result.exit_code}`;
    const excerpt = result.stderr.trim().slice(-ERROR_EXCERPT_CHARS);
    ctx.log("warn", `${fields.tool} ${how}`, { stdout: result.stdout.slice(-ERROR_EXCERPT_CHARS), stderr: excerpt });
    // A failed run may pass next time (a busy API server, a lock): the step's retry policy decides.
    throw new CommandFailedError(`${fields.tool} ${how}${excerpt ? `: ${excerpt}` : ""}`, output);
  }
  ctx.log("info", `${fields.tool} exited with code ${result.exit_code} in ${result.duration_ms} ms (${ranOn})`);
  return output;
}

/** A run that ended outside `ok_exit_codes`; carries what it printed for the remediation's audit record. */
export class CommandFailedError extends Error {
  constructor(
    message: string,
    readonly output: CommandOutput,
  ) {
    super(message);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
