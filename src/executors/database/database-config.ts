// The `database` step's config: `query` with `params`, or seed 001's `operation: insert` with `table`
// and `data` (from the config or the step's input_mapping `data`); definition and runtime modes.
import { z } from "zod";
import { durationField, positiveIntegerField, templatable } from "../http/config-fields.js";
import type { SchemaMode } from "../http/config-fields.js";
import { isIdentifier, isTableName } from "./statement.js";

export const DATABASE_OPERATIONS = ["query", "insert"] as const;

export function databaseConfigSchema(mode: SchemaMode) {
  return z
    .object({
      connection: z.string().min(1),
      operation: z.enum(DATABASE_OPERATIONS).optional(),
      query: z.string().min(1).optional(),
      params: templatable(mode, z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional()),
      table: z.string().refine((name) => isTableName(name), { message: "must be a table name (letters, digits and _, optionally schema.table)" }).optional(),
      data: templatable(mode, z.union([z.record(z.string(), z.unknown()), z.array(z.record(z.string(), z.unknown())).min(1)]).optional()),
      idempotency_column: z.string().refine(isIdentifier, { message: "must be a column name (letters, digits and _)" }).optional(),
      max_rows: positiveIntegerField(mode),
      timeout: durationField(mode),
    })
    .strict()
    .superRefine((config, ctx) => {
      const operation = config.operation ?? (config.query !== undefined ? "query" : config.table !== undefined ? "insert" : undefined);
      if (operation === undefined) {
        ctx.addIssue({ code: "custom", path: ["query"], message: "required: give query (with params), or operation: insert with table and data" });
        return;
      }
      if (operation === "query") {
        if (config.query === undefined) ctx.addIssue({ code: "custom", path: ["query"], message: "required for operation query" });
        for (const key of ["table", "data", "idempotency_column"] as const) if (config[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "belongs to operation insert; a query binds its values with params" });
      } else {
        if (config.table === undefined) ctx.addIssue({ code: "custom", path: ["table"], message: "required for operation insert" });
        for (const key of ["query", "params"] as const) if (config[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: "belongs to operation query; an insert takes table and data" });
      }
    });
}

export type DatabaseConfig = z.output<ReturnType<typeof databaseConfigSchema>>;
