// The `command` step (seed 003 `collect_logs`: `tool: kubectl, action: logs, args: [...]`): an
// allow-listed program run with arguments and no shell, or forwarded to the agent manager.
// Output { exit_code, signal, stdout, stderr, *_truncated, duration_ms, command, ran_on, json? }.
import type { StepContext, StepExecutor } from "../../engine/step-executor.js";
import { parseRuntimeConfig } from "../http/config-fields.js";
import { commandConfigSchema } from "./command-config.js";
import type { CommandOutput, CommandRunnerOptions } from "./command-runner.js";
import { runCommand } from "./command-runner.js";

const runtimeSchema = commandConfigSchema("runtime");

export function createCommandExecutor(options: CommandRunnerOptions): StepExecutor {
  return {
    type: "command",
    configSchema: commandConfigSchema("definition"),
    async execute(ctx: StepContext): Promise<CommandOutput> {
      const config = parseRuntimeConfig(runtimeSchema, ctx.config);
      return runCommand(ctx, options, config, "config.tool");
    },
  };
}
