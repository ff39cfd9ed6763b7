// Workflows of a tenant: register a definition (parse, validate against the registered step types,
// store as a new version when it changed), read versions, change the workflow's state. A workflow's
// id is the definition's `id` when given, else generated (SPEC D).
import { createHash } from "node:crypto";
import type { GroupCommitter } from "../audit/audit-log.js";
import { makeAuditEntry } from "../audit/audit-log.js";
import type { Clock } from "../core/clock.js";
import { ConflictError, NotFoundError, ValidationError } from "../core/errors.js";
import { newId } from "../core/ids.js";
import type { EngineStore, WorkflowRow, WorkflowStatus } from "../store/engine-store.js";
import { checkExpression } from "../workflow/expressions.js";
import type { WorkflowDefinition } from "../workflow/model.js";
import { checkTemplate } from "../workflow/templates.js";
import { requireValidDefinition } from "../workflow/check-definition.js";
import type { StepExecutorRegistry } from "./step-executor.js";

export interface RegisterWorkflowOptions {
  /** The workflow to update, or the id of a new one (default: the definition's `id`, else generated). */
  workflowId?: string;
  /** `draft` (default for new workflows) or `active` (SPEC D). */
  status?: WorkflowStatus;
  tags?: string[];
  ownerId?: string | null;
  userId?: string;
}

export interface RegisteredWorkflow {
  workflowId: string;
  version: number;
  created: boolean;
  /** False when the definition equals the current version (no new version was made). */
  changed: boolean;
  workflow: WorkflowRow;
}

const WORKFLOW_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

export class WorkflowService {
  #store: EngineStore;
  #clock: Clock;
  #executors: StepExecutorRegistry;

  constructor(store: EngineStore, clock: Clock, executors: StepExecutorRegistry, _committer?: GroupCommitter) {
    this.#store = store;
    this.#clock = clock;
    this.#executors = executors;
  }

  /** Loads and validates without storing (`synergymesh validate`). Throws ValidationError with every problem. */
  validate(source: string | object): WorkflowDefinition {
    // Shape problems and validation problems (cycles, unknown types, ...) are reported together.
    return requireValidDefinition(source, { stepTypes: this.#executors.types(), checkTemplate, checkExpression });
  }

  async register(tenantId: string, source: string | object, options: RegisterWorkflowOptions = {}): Promise<RegisteredWorkflow> {
    const definition = this.validate(source);
    const workflowId = options.workflowId ?? definition.id ?? newId();
    if (!WORKFLOW_ID.test(workflowId)) throw new ValidationError([{ path: options.workflowId ? "workflowId" : "id", message: "must be 1-128 letters, digits, '_', '.' or '-', starting with a letter or digit" }]);
    if (options.status && options.status !== "draft" && options.status !== "active") throw new ValidationError([{ path: "status", message: "a workflow is registered as draft or active" }]);
    const json = JSON.stringify(definition);
    const hash = createHash("sha256").update(json).digest("hex");
    const now = this.#clock.now();
    const existing = await this.#store.getWorkflow(tenantId, workflowId);
    if (existing?.status === "archived") throw new ConflictError(`Workflow ${workflowId} is archived; restore it before changing it`, { workflowId });
    const audit = [makeAuditEntry(this.#clock, { tenantId, action: existing ? "update_workflow" : "create_workflow", status: "success", componentId: workflowId, userId: options.userId ?? "system", metadata: { name: definition.name, hash } })];
    const saved = await this.#store.saveWorkflow({
      tenantId,
      workflowId,
      name: definition.name,
      definition: json,
      hash,
      ...(options.status ? { status: options.status } : {}),
      ...(options.tags ? { tags: options.tags } : {}),
      ...(options.ownerId !== undefined ? { ownerId: options.ownerId } : {}),
      now,
      audit,
    });
    return { workflowId, version: saved.version, created: saved.created, changed: saved.changed, workflow: saved.workflow };
  }

  async get(tenantId: string, workflowId: string): Promise<WorkflowRow> {
    const row = await this.#store.getWorkflow(tenantId, workflowId);
    if (!row) throw new NotFoundError("workflow", workflowId);
    return row;
  }

  async definition(tenantId: string, workflowId: string, version?: number): Promise<{ version: number; definition: WorkflowDefinition }> {
    const workflow = await this.get(tenantId, workflowId);
    const v = version ?? workflow.currentVersion;
    const row = await this.#store.getWorkflowVersion(tenantId, workflowId, v);
    if (!row) throw new NotFoundError("workflow version", `${workflowId}@${v}`);
    return { version: v, definition: JSON.parse(row.definition) as WorkflowDefinition };
  }

  versions(tenantId: string, workflowId: string) {
    return this.#store.listWorkflowVersions(tenantId, workflowId);
  }

  list(tenantId: string, filter?: { status?: WorkflowStatus; ownerId?: string; tag?: string }) {
    return this.#store.listWorkflows(tenantId, filter);
  }

  async setStatus(tenantId: string, workflowId: string, status: WorkflowStatus, userId = "system"): Promise<WorkflowRow> {
    const action = { active: "activate_workflow", paused: "pause_workflow", archived: "archive_workflow", draft: "draft_workflow" }[status];
    const row = await this.#store.setWorkflowStatus(tenantId, workflowId, status, this.#clock.now(), [makeAuditEntry(this.#clock, { tenantId, action, status: "success", componentId: workflowId, userId })]);
    if (!row) throw new NotFoundError("workflow", workflowId);
    return row;
  }
}
