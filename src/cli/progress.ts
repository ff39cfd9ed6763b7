// Progress of one execution as `synergymesh run` shows it. StepBoard folds the engine's step
// events into per-step state and says each event as one plain line; renderBoard draws the same
// state as the lines of the live TTY display. Pure: the time comes in as numbers.
import type { ExecutionDetails, StepStatus, WorkflowExecutionStatus } from "../index.js";

export interface StepProgress {
  readonly id: string;
  status: StepStatus;
  /** 1-based attempt of the latest start (failures before it + 1); 0 until the step starts. */
  attempt: number;
  /** When the step first started, on the caller's clock (waits and retries are inside its duration). */
  startedAt: number | undefined;
  endedAt: number | undefined;
  error: string | null;
}

export interface StepStartedEvent {
  stepId: string;
  /** Failed attempts before this one, as the engine reports it (0 on the first try). */
  attempt: number;
}

export interface StepFinishedEvent {
  stepId: string;
  status: StepStatus;
  error: string | null;
}

const FINAL_STEP: ReadonlySet<StepStatus> = new Set(["completed", "failed", "skipped", "cancelled", "timed_out"]);

export class StepBoard {
  readonly #steps = new Map<string, StepProgress>();

  /** `stepIds` in definition order: the order the live display lists them. */
  constructor(stepIds: readonly string[]) {
    for (const id of stepIds) this.#step(id);
  }

  steps(): StepProgress[] {
    return [...this.#steps.values()];
  }

  get(stepId: string): StepProgress | undefined {
    return this.#steps.get(stepId);
  }

  /** Records a start; returns its line: `step fetch started (attempt 1)`, or `resumed` after a wait. */
  started(event: StepStartedEvent, now: number): string {
    const step = this.#step(event.stepId);
    const resumed = step.status === "waiting";
    step.status = "running";
    step.attempt = event.attempt + 1;
    step.startedAt ??= now;
    step.endedAt = undefined;
    return `step ${step.id} ${resumed ? "resumed" : "started"} (attempt ${step.attempt})`;
  }

  /** Records a step's new state; returns its line: `step fetch completed in 12 ms`, `step x failed: ...`. */
  finished(event: StepFinishedEvent, now: number): string {
    const step = this.#step(event.stepId);
    step.status = event.status;
    step.error = event.error;
    if (FINAL_STEP.has(event.status)) {
      step.startedAt ??= now;
      step.endedAt = now;
    }
    return stepLine(step);
  }

  /**
   * Takes the final state from the stored step rows and returns lines for the changes no event
   * announced: steps never reached end `skipped`, a cancel or execution timeout ends open steps.
   */
  settle(rows: ReadonlyArray<{ stepId: string; status: StepStatus; error: string | null }>, now: number): string[] {
    const lines: string[] = [];
    for (const row of rows) {
      const step = this.#step(row.stepId);
      if (step.status === row.status) continue;
      step.status = row.status;
      step.error = row.error;
      if (FINAL_STEP.has(row.status) && step.startedAt !== undefined) step.endedAt ??= now;
      lines.push(stepLine(step));
    }
    return lines;
  }

  #step(id: string): StepProgress {
    let step = this.#steps.get(id);
    if (!step) {
      step = { id, status: "pending", attempt: 0, startedAt: undefined, endedAt: undefined, error: null };
      this.#steps.set(id, step);
    }
    return step;
  }
}

function stepLine(step: StepProgress): string {
  const because = step.error ? `: ${step.error}` : "";
  switch (step.status) {
    case "completed":
      return `step ${step.id} completed in ${formatDuration(elapsed(step, step.endedAt ?? 0))}`;
    case "failed":
      return `step ${step.id} failed${because}`;
    case "timed_out":
      return `step ${step.id} timed out${because}`;
    case "retrying":
      return `step ${step.id} attempt ${step.attempt} failed${because}; retrying`;
    case "waiting":
      return `step ${step.id} waiting`;
    case "skipped":
      return `step ${step.id} skipped${step.error ? `: ${reason(step.error)}` : ""}`;
    case "cancelled":
      return `step ${step.id} cancelled`;
    default:
      return `step ${step.id} ${step.status}`;
  }
}

function elapsed(step: StepProgress, now: number): number {
  return step.startedAt === undefined ? 0 : Math.max(0, (step.endedAt ?? now) - step.startedAt);
}

/** `850 ms`, `1.2 s`, `2m 05s`, `1h 02m`: short enough for a progress line, exact enough to compare. */
export function formatDuration(ms: number): string {
  const value = Math.max(0, Math.round(ms));
  if (value < 1000) return `${value} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  const seconds = Math.floor(value / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, "0")}s`;
  return `${Math.floor(seconds / 3600)}h ${String(Math.floor(seconds / 60) % 60).padStart(2, "0")}m`;
}

const STATUS_WORDS: Record<WorkflowExecutionStatus, string> = {
  pending: "is pending",
  running: "is running",
  paused: "is paused",
  completed: "completed",
  failed: "failed",
  cancelled: "was cancelled",
  timed_out: "timed out",
};

/** The stored execution's wall time: start (or creation) to finish. */
export function executionDurationMs(execution: Pick<ExecutionDetails, "createdAt" | "startedAt" | "finishedAt">, now: number): number {
  return Math.max(0, (execution.finishedAt ?? now) - (execution.startedAt ?? execution.createdAt));
}

/** `execution <id> completed in 123 ms`, `execution <id> failed in 80 ms: step x failed: ...`. */
export function summaryLine(execution: Pick<ExecutionDetails, "executionId" | "status" | "error" | "createdAt" | "startedAt" | "finishedAt">, now: number): string {
  const because = execution.error && execution.status !== "completed" ? `: ${execution.error}` : "";
  return `execution ${execution.executionId} ${STATUS_WORDS[execution.status]} in ${formatDuration(executionDurationMs(execution, now))}${because}`;
}

const SYMBOLS: Record<StepStatus, string> = {
  pending: "·",
  running: "▸",
  retrying: "↻",
  waiting: "◷",
  completed: "✔",
  failed: "✖",
  skipped: "○",
  cancelled: "⊘",
  timed_out: "⧗",
};

/** The live display's step lines: symbol, id, state, attempt, duration (ticking while running). */
export function renderBoard(steps: readonly StepProgress[], now: number): string[] {
  const idWidth = Math.max(4, ...steps.map((s) => s.id.length));
  const statusWidth = Math.max(...steps.map((s) => s.status.length), 9);
  return steps.map((step) => {
    const parts = [`${SYMBOLS[step.status]} ${step.id.padEnd(idWidth)}  ${step.status.padEnd(statusWidth)}`];
    if (step.attempt > 0) parts.push(`attempt ${step.attempt}`.padEnd(10), formatDuration(elapsed(step, now)));
    if (step.error && step.status !== "completed") parts.push(firstLine(reason(step.error)));
    return `  ${parts.join("  ").trimEnd()}`;
  });
}

/** The engine's skip reasons read "skipped: not reached"; beside the status, "skipped" once is enough. */
function reason(error: string): string {
  return error.replace(/^skipped:\s*/, "");
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0] ?? "";
  return line.length > 100 ? `${line.slice(0, 99)}…` : line;
}
