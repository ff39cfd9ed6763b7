// Per-tenant message templates `{ subject?, text?, html? }` for e-mail and notification steps,
// looked up by name (seed 001 `template: process_complete`). Changes are audited.
import * as z from "zod";
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { NotFoundError } from "../core/errors.js";
import { parseInput } from "../core/parse-input.js";
import type { AccessStore } from "../store/access-store.js";
import { DOCUMENT_NAME } from "./document-names.js";

export interface MessageTemplateContent {
  subject?: string;
  text?: string;
  html?: string;
}

export interface MessageTemplate extends MessageTemplateContent {
  name: string;
  createdAt: number;
  updatedAt: number;
}

/** What e-mail and notification steps call to find a tenant's template by name. */
export type MessageTemplateLookup = (tenantId: string, name: string) => Promise<MessageTemplateContent | undefined>;

const MAX_PART = 256 * 1024;
const templateSchema = z
  .object({
    name: DOCUMENT_NAME,
    subject: z.string().max(998).optional(),
    text: z.string().max(MAX_PART).optional(),
    html: z.string().max(MAX_PART).optional(),
  })
  .refine((t) => t.text !== undefined || t.html !== undefined || t.subject !== undefined, { message: "give at least one of subject, text or html", path: ["text"] });

export class MessageTemplates {
  #store: AccessStore;
  #clock: Clock;

  constructor(store: AccessStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  async set(tenantId: string, template: { name: string } & MessageTemplateContent, userId = "system"): Promise<{ created: boolean }> {
    const { name, ...content } = parseInput(templateSchema, template);
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "set_message_template", status: "success", componentId: `template:${name}`, userId })];
    return { created: await this.#store.putDocument({ tenantId, kind: "message_template", name, body: content }, this.#clock.now(), audit) };
  }

  async get(tenantId: string, name: string): Promise<MessageTemplate> {
    const row = await this.#store.getDocument(tenantId, "message_template", name);
    if (!row) throw new NotFoundError("message template", name);
    return { name: row.name, ...(row.body as MessageTemplateContent), createdAt: row.createdAt, updatedAt: row.updatedAt };
  }

  async list(tenantId: string): Promise<MessageTemplate[]> {
    return (await this.#store.listDocuments(tenantId, "message_template")).map((row) => ({ name: row.name, ...(row.body as MessageTemplateContent), createdAt: row.createdAt, updatedAt: row.updatedAt }));
  }

  async delete(tenantId: string, name: string, userId = "system"): Promise<void> {
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: "delete_message_template", status: "success", componentId: `template:${name}`, userId })];
    if (!(await this.#store.deleteDocument(tenantId, "message_template", name, audit))) throw new NotFoundError("message template", name);
  }

  /** The lookup function for e-mail and notification steps. */
  readonly lookup: MessageTemplateLookup = async (tenantId, name) => {
    const row = await this.#store.getDocument(tenantId, "message_template", name);
    return row ? (row.body as MessageTemplateContent) : undefined;
  };
}
