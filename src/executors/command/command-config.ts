// The `command` step's config (seed 003: `tool: kubectl`, `action: logs`, `args`), shared with
// `remediation`, which adds its approval fields. Definition and runtime modes as for http.
import { z } from "zod";
import { booleanField, durationField, positiveIntegerField, templatable } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";

const NUL = /\0/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Names that change how programs load or what they run: never taken from a step. */
const FORBIDDEN_ENV = /^(PATH|LD_.*|DYLD_.*|NODE_OPTIONS|NODE_PATH|BASH_ENV|ENV|IFS|SHELLOPTS|PS4|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PERL5OPT|PERL5LIB|RUBYOPT|RUBYLIB|GCONV_PATH|GIT_SSH_COMMAND|GIT_EXEC_PATH)$/;

const argument = z.union([z.string(), z.number(), z.boolean()]).refine((value) => typeof value !== "string" || !NUL.test(value), { message: "must not contain a NUL character" });

/** The fields that say what runs; `remediation` names the tool `action_type` as seed 003 does. */
export function commandShape(mode: SchemaMode) {
  return {
    action: z.string().min(1).refine((value) => !NUL.test(value), { message: "must not contain a NUL character" }).optional(),
    args: templatable(mode, z.array(argument).optional()),
    env: templatable(
      mode,
      z
        .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
        .superRefine((env, ctx) => {
          for (const name of Object.keys(env)) {
            if (!ENV_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "is not a valid environment variable name" });
            else if (FORBIDDEN_ENV.test(name)) ctx.addIssue({ code: "custom", path: [name], message: "cannot be set by a step: it changes which code a program loads" });
          }
        })
        .optional(),
    ),
    stdin: z.string().optional(),
    timeout: durationField(mode),
    max_output_bytes: positiveIntegerField(mode),
    ok_exit_codes: templatable(mode, z.array(z.number().int().min(0).max(255)).min(1).optional()),
    parse_json: booleanField(mode),
    agent: z.string().min(1).optional(),
  };
}

export function commandConfigSchema(mode: SchemaMode) {
  return z.object({ tool: z.string().min(1), ...commandShape(mode) }).strict();
}

export type CommandFields = z.output<ReturnType<typeof commandConfigSchema>>;
