// The per-tenant script library: named scripts `{ runtime, code }` that `script` steps run by name
// (`config.script: transform.js`) when the orchestrator serves tenants. Changes are audited.
import * as z from "zod";
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { NotFoundError } from "../core/errors.js";
import { parseInput } from "../core/parse-input.js";
import type { AccessStore } from "../store/access-store.js";
import { DOCUMENT_NAME } from "./document-names.js";

export interface LibraryScript {
  name: string;
  runtime: "javascript" | "python";
  code: string;
  createdAt: number;
  updatedAt: number;
}

const MAX_SCRIPT_BYTES = 256 * 1024;
const scriptSchema = z.object({
  name: DOCUMENT_NAME,
  runtime: z.enum(["javascript", "python"]),
  code: z.string().min(1).refine((code) => Buffer.byteLength(code) <= MAX_SCRIPT_BYTES, `must be at most ${MAX_SCRIPT_BYTES} bytes`),
});

export class ScriptLibrary {
  #store: AccessStore;
  #clock: Clock;

  constructor(store: AccessStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async set(tenantId: string, script: { name: string; runtime: string; code: string }, userId = "system"): Promise<{ created: boolean }> {
    const valid = parseInput(scriptSchema, script);
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "set_script", status: "success", componentId: `script:${valid.name}`, userId, metadata: { runtime: valid.runtime, bytes: Buffer.byteLength(valid.code) } })];
    return { created: await this.#store.putDocument({ tenantId, kind: "script", name: valid.name, body: { runtime: valid.runtime, code: valid.code } }, this.#clock.now(), audit) };
  }

  async get(tenantId: string, name: string): Promise<LibraryScript> {
    const row = await this.#store.getDocument(tenantId, "script", name);
    if (!row) throw new NotFoundError("script", name);
    return toScript(row);
  }

  async list(tenantId: string): Promise<LibraryScript[]> {
    return (await this.#store.listDocuments(tenantId, "script")).map(toScript);
  }

  async delete(tenantId: string, name: string, userId = "system"): Promise<void> {
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "delete_script", status: "success", componentId: `script:${name}`, userId })];
    if (!(await this.#store.deleteDocument(tenantId, "script", name, audit))) throw new NotFoundError("script", name);
  }

  /** The `loadScript` hook of the script step: the code of the tenant's script, or undefined. */
  async load(tenantId: string, name: string): Promise<string | undefined> {
    const row = await this.#store.getDocument(tenantId, "script", name);
    return row ? (row.body as { code: string }).code : undefined;
  }
}

function toScript(row: { name: string; body: unknown; createdAt: number; updatedAt: number }): LibraryScript {
  const body = row.body as { runtime: "javascript" | "python"; code: string };
  return { name: row.name, runtime: body.runtime, code: body.code, createdAt: row.createdAt, updatedAt: row.updatedAt };
}
