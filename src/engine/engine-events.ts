// Typed lifecycle events of the engine (STYLE rule 8), emitted after the state they describe is
// committed, never before. Plugins hang off the same events (onWorkflowStart, onStepComplete, ...).
import { EventEmitter } from "node:events";
import type { ExecutionStatus, StepStatus } from "../store/engine-store.js";

export interface EngineEventMap {
  "execution.started": [{ tenantId: string; executionId: string; workflowId: string; version: number }];
  "execution.finished": [{ tenantId: string; executionId: string; workflowId: string; status: ExecutionStatus; error: string | null; durationMs?: number }];
  "step.started": [{ tenantId: string; executionId: string; stepId: string; attempt: number }];
  "step.finished": [{ tenantId: string; executionId: string; stepId: string; status: StepStatus; error: string | null }];
}

export class EngineEvents extends EventEmitter<EngineEventMap> {
  constructor() {
    super();
    // Many callers may wait for executions at once (waitForExecution subscribes per call).
    this.setMaxListeners(0);
  }
}

/** Seed 001's plugin hooks; each is called after the event it names is committed. */
export interface EnginePlugin {
  onWorkflowStart?(event: EngineEventMap["execution.started"][0]): void | Promise<void>;
  onStepStart?(event: EngineEventMap["step.started"][0]): void | Promise<void>;
  onStepComplete?(event: EngineEventMap["step.finished"][0]): void | Promise<void>;
  onWorkflowComplete?(event: EngineEventMap["execution.finished"][0]): void | Promise<void>;
}
