// Where `synergymesh run` shows progress: plain lines (not a TTY: tests, CI, pipes), a live board
// redrawn in place (a TTY, through ora), or nothing until the end (`--json`).
import ora, { type Ora } from "ora";
import type { ExecutionDetails } from "../index.js";
import { writeLine, type CliIO } from "./cli-io.js";
import { renderBoard, StepBoard, summaryLine, formatDuration, type StepFinishedEvent, type StepStartedEvent } from "./progress.js";

export interface ExecutionHeading {
  executionId: string;
  workflowId: string;
  version: number;
  name: string;
}

export interface ProgressReporter {
  begin(heading: ExecutionHeading): void;
  stepStarted(event: StepStartedEvent): void;
  stepFinished(event: StepFinishedEvent): void;
  /** Something the user should know now (Ctrl-C seen, timeout reached). */
  notice(text: string): void;
  /** The execution has ended: the last step changes and the summary. */
  end(details: ExecutionDetails): void;
}

export interface ReporterOptions {
  io: CliIO;
  /** Step ids in definition order. */
  stepIds: readonly string[];
  /** Milliseconds on a monotonic clock. */
  now?: () => number;
  /** Print the execution's output after the summary (plain and live). */
  showOutput?: boolean;
}

const monotonic = () => performance.now();

export function createReporter(mode: "json" | "auto", options: ReporterOptions): ProgressReporter {
  if (mode === "json") return new SilentProgress(options.io);
  return isInteractive(options.io.stdout) ? new LiveProgress(options) : new PlainProgress(options);
}

/**
 * A terminal that can redraw lines: a TTY, not `TERM=dumb`, not CI (ora's own test), and with a
 * known width (a pseudo-terminal of 0 columns would make ora clear lines forever).
 */
export function isInteractive(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && (stream.columns ?? 0) > 0 && env.TERM !== "dumb" && !("CI" in env);
}

/** One line per event, in order, then the summary: what tests, CI logs and pipes read. */
export class PlainProgress implements ProgressReporter {
  readonly #io: CliIO;
  readonly #board: StepBoard;
  readonly #now: () => number;
  readonly #showOutput: boolean;

  constructor(options: ReporterOptions) {
    this.#io = options.io;
    this.#board = new StepBoard(options.stepIds);
    this.#now = options.now ?? monotonic;
    this.#showOutput = options.showOutput ?? true;
  }

  begin(heading: ExecutionHeading): void {
    this.#line(`execution ${heading.executionId} started: workflow ${heading.name} (${heading.workflowId} version ${heading.version}, ${plural(this.#board.steps().length, "step")})`);
  }

  stepStarted(event: StepStartedEvent): void {
    this.#line(this.#board.started(event, this.#now()));
  }

  stepFinished(event: StepFinishedEvent): void {
    this.#line(this.#board.finished(event, this.#now()));
  }

  notice(text: string): void {
    this.#line(text);
  }

  end(details: ExecutionDetails): void {
    for (const line of this.#board.settle(details.steps, this.#now())) this.#line(line);
    this.#line(summaryLine(details, Date.now()));
    if (this.#showOutput && details.status === "completed") this.#line(`output: ${JSON.stringify(details.output)}`);
  }

  #line(text: string): void {
    writeLine(this.#io.stdout, text);
  }
}

/** A spinner line with the execution's state and one line per step, redrawn in place. */
export class LiveProgress implements ProgressReporter {
  readonly #io: CliIO;
  readonly #board: StepBoard;
  readonly #now: () => number;
  readonly #showOutput: boolean;
  readonly #spinner: Ora;
  #heading: ExecutionHeading | undefined;
  #startedAt = 0;
  #ticker: NodeJS.Timeout | undefined;
  #notices: string[] = [];

  constructor(options: ReporterOptions) {
    this.#io = options.io;
    this.#board = new StepBoard(options.stepIds);
    this.#now = options.now ?? monotonic;
    this.#showOutput = options.showOutput ?? true;
    this.#spinner = ora({ stream: options.io.stdout as NodeJS.WritableStream, text: "starting", isEnabled: true });
  }

  begin(heading: ExecutionHeading): void {
    this.#heading = heading;
    this.#startedAt = this.#now();
    this.#spinner.start(this.#text());
    // Durations tick while nothing happens; unref so the display never keeps the process alive.
    this.#ticker = setInterval(() => this.#redraw(), 200);
    this.#ticker.unref();
  }

  stepStarted(event: StepStartedEvent): void {
    this.#board.started(event, this.#now());
    this.#redraw();
  }

  stepFinished(event: StepFinishedEvent): void {
    this.#board.finished(event, this.#now());
    this.#redraw();
  }

  notice(text: string): void {
    this.#notices.push(text);
    this.#redraw();
  }

  end(details: ExecutionDetails): void {
    if (this.#ticker) clearInterval(this.#ticker);
    this.#board.settle(details.steps, this.#now());
    const ok = details.status === "completed";
    // The summary line below has the stored duration; the board keeps only the final state.
    this.#spinner.stopAndPersist({ symbol: ok ? "✔" : "✖", text: this.#text(details.status.replace("_", " "), false) });
    writeLine(this.#io.stdout, summaryLine(details, Date.now()));
    if (this.#showOutput && ok) writeLine(this.#io.stdout, `output: ${JSON.stringify(details.output)}`);
  }

  #redraw(): void {
    if (this.#spinner.isSpinning) this.#spinner.text = this.#text();
  }

  #text(status = "running", clock = true): string {
    const now = this.#now();
    const heading = this.#heading;
    const title = heading ? `${heading.name}: execution ${heading.executionId} ${status}${clock ? ` ${formatDuration(now - this.#startedAt)}` : ""}` : status;
    return [title, ...renderBoard(this.#board.steps(), now), ...this.#notices.map((n) => `  ${n}`)].join("\n");
  }
}

/** `--json`: nothing live; notices go to stderr so stdout holds only the final JSON object. */
export class SilentProgress implements ProgressReporter {
  readonly #io: CliIO;

  constructor(io: CliIO) {
    this.#io = io;
  }

  begin(): void {}
  stepStarted(): void {}
  stepFinished(): void {}
  end(): void {}

  notice(text: string): void {
    writeLine(this.#io.stderr, text);
  }
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
