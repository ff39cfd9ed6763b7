// The progress formatter of `synergymesh run`: the plain line for each engine event, durations,
// the settle step for changes no event announced, the summary, and the live board's lines.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatDuration, renderBoard, StepBoard, summaryLine } from "../../src/cli/progress.js";
import { isInteractive } from "../../src/cli/progress-reporter.js";

describe("StepBoard", () => {
  test("says each event as one line: starts, waits, resumes, retries, completions and failures", () => {
    const board = new StepBoard(["wait", "fetch", "decide"]);
    assert.equal(board.started({ stepId: "wait", attempt: 0 }, 1000), "step wait started (attempt 1)");
    assert.equal(board.finished({ stepId: "wait", status: "waiting", error: null }, 1001), "step wait waiting");
    assert.equal(board.started({ stepId: "wait", attempt: 0 }, 1500), "step wait resumed (attempt 1)");
    assert.equal(board.finished({ stepId: "wait", status: "completed", error: null }, 1512), "step wait completed in 512 ms", "the duration counts from the first start");

    assert.equal(board.started({ stepId: "fetch", attempt: 0 }, 2000), "step fetch started (attempt 1)");
    assert.equal(board.finished({ stepId: "fetch", status: "retrying", error: "boom" }, 2010), "step fetch attempt 1 failed: boom; retrying");
    assert.equal(board.started({ stepId: "fetch", attempt: 1 }, 3000), "step fetch started (attempt 2)");
    assert.equal(board.finished({ stepId: "fetch", status: "failed", error: "boom again" }, 3020), "step fetch failed: boom again");
    assert.equal(board.get("fetch")?.attempt, 2);

    assert.equal(board.started({ stepId: "decide", attempt: 0 }, 4000), "step decide started (attempt 1)");
    assert.equal(board.finished({ stepId: "decide", status: "timed_out", error: "took too long" }, 5000), "step decide timed out: took too long");
    assert.equal(board.finished({ stepId: "decide", status: "skipped", error: "skipped: condition is false" }, 5000), "step decide skipped: condition is false");
  });

  test("settle reports only what no event said: steps never reached, steps a cancel closed", () => {
    const board = new StepBoard(["a", "b", "c"]);
    board.started({ stepId: "a", attempt: 0 }, 0);
    board.finished({ stepId: "a", status: "completed", error: null }, 5);
    board.started({ stepId: "b", attempt: 0 }, 5);
    const lines = board.settle(
      [
        { stepId: "c", status: "skipped", error: "skipped: not reached" },
        { stepId: "a", status: "completed", error: null },
        { stepId: "b", status: "cancelled", error: "cancelled by user" },
      ],
      30,
    );
    assert.deepEqual(lines, ["step c skipped: not reached", "step b cancelled"]);
    assert.deepEqual(
      board.steps().map((s) => [s.id, s.status]),
      [
        ["a", "completed"],
        ["b", "cancelled"],
        ["c", "skipped"],
      ],
      "definition order is kept",
    );
  });
});

test("formatDuration: ms below a second, tenths of seconds below a minute, then minutes and hours", () => {
  assert.equal(formatDuration(0), "0 ms");
  assert.equal(formatDuration(12.4), "12 ms");
  assert.equal(formatDuration(999), "999 ms");
  assert.equal(formatDuration(1234), "1.2 s");
  assert.equal(formatDuration(59_949), "59.9 s");
  assert.equal(formatDuration(65_000), "1m 05s");
  assert.equal(formatDuration(3_723_000), "1h 02m");
  assert.equal(formatDuration(-5), "0 ms");
});

test("summaryLine: the execution's status in words, its stored duration, and the error unless it completed", () => {
  const base = { executionId: "e1", createdAt: 900, startedAt: 1000, finishedAt: 1123 };
  assert.equal(summaryLine({ ...base, status: "completed", error: null }, 0), "execution e1 completed in 123 ms");
  assert.equal(summaryLine({ ...base, status: "failed", error: "step x failed: boom" }, 0), "execution e1 failed in 123 ms: step x failed: boom");
  assert.equal(summaryLine({ ...base, status: "cancelled", error: "cancelled by user" }, 0), "execution e1 was cancelled in 123 ms: cancelled by user");
  assert.equal(summaryLine({ ...base, status: "timed_out", error: "workflow timeout" }, 0), "execution e1 timed out in 123 ms: workflow timeout");
  assert.equal(summaryLine({ ...base, startedAt: null, finishedAt: null, status: "running", error: null }, 1900), "execution e1 is running in 1.0 s", "unfinished: from creation to now");
});

test("renderBoard: one aligned line per step with its state, attempt and duration", () => {
  const board = new StepBoard(["fetch", "a", "never"]);
  board.started({ stepId: "fetch", attempt: 0 }, 0);
  board.finished({ stepId: "fetch", status: "completed", error: null }, 40);
  board.started({ stepId: "a", attempt: 2 }, 100);
  board.settle([{ stepId: "never", status: "skipped", error: "skipped: not reached" }], 200);
  assert.deepEqual(renderBoard(board.steps(), 1600), [
    "  ✔ fetch  completed  attempt 1   40 ms",
    "  ▸ a      running    attempt 3   1.5 s",
    "  ○ never  skipped    not reached",
  ]);
});

test("the live display is used only on an interactive terminal with a width", () => {
  assert.equal(isInteractive({ isTTY: true, columns: 80 }, {}), true);
  assert.equal(isInteractive({ isTTY: false, columns: 80 }, {}), false);
  assert.equal(isInteractive({ isTTY: true, columns: 0 }, {}), false);
  assert.equal(isInteractive({ isTTY: true, columns: 80 }, { CI: "true" }), false);
  assert.equal(isInteractive({ isTTY: true, columns: 80 }, { TERM: "dumb" }), false);
});
