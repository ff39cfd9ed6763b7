import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { buildStepGraph, parseDefinition, StepGraph, type WorkflowDefinition } from "../../src/workflow/index.js";

function steps(...specs: Array<{ id: string; type?: string; depends_on?: string[]; on_success?: string[]; on_failure?: string[]; config?: Record<string, unknown> }>): WorkflowDefinition {
  return parseDefinition({ steps: specs.map((spec) => ({ type: "x", ...spec })) });
}

test("seed 003: branches are edges; collect_logs is the only entry; the rest wait for their branch source", () => {
  const definition = parseDefinition(readFileSync(new URL("../../examples/seeds/003-diagnose-pod-crashloop.yaml", import.meta.url), "utf8"));
  const graph = buildStepGraph(definition);
  assert.deepEqual(graph.entrySteps(), ["collect_logs"]);
  assert.deepEqual(graph.successors("collect_logs"), ["check_resources", "notify_failure"]);
  assert.deepEqual(graph.predecessors("notify_failure"), ["collect_logs", "execute_remediation"]);
  assert.deepEqual(graph.branchTargets(), ["check_resources", "ai_analysis", "decide_action", "execute_remediation", "notify_success", "notify_failure"]);
  assert.deepEqual(
    graph.branchSources("notify_failure").map((edge) => [edge.from, edge.kind, edge.stepIndex, edge.at]),
    [
      ["collect_logs", "on_failure", 0, ["on_failure", 0]],
      ["execute_remediation", "on_failure", 4, ["on_failure", 0]],
    ],
  );
  // The decision's thens are values here (no such steps), so they add no edges.
  assert.deepEqual(graph.successors("decide_action"), ["execute_remediation"]);
  assert.deepEqual(graph.findCycles(), []);
  assert.deepEqual(graph.topologicalOrder(), [
    "collect_logs",
    "check_resources",
    "ai_analysis",
    "decide_action",
    "execute_remediation",
    "notify_success",
    "notify_failure",
  ]);
});

test("seed 001: depends_on chains; every step after its dependency; no branch targets", () => {
  const definition = parseDefinition(readFileSync(new URL("../../examples/seeds/001-data-processing.yaml", import.meta.url), "utf8"));
  const graph = buildStepGraph(definition);
  assert.deepEqual(graph.entrySteps(), ["validate"]);
  assert.deepEqual(graph.dependencies("notify"), ["process"]);
  assert.deepEqual(graph.branchTargets(), []);
  assert.equal(graph.isBranchTarget("process"), false);
  assert.deepEqual(graph.topologicalOrder(), ["validate", "process", "notify"]);
});

test("seed 002: a diamond of tasks, two entry-free branches joined", () => {
  const definition = parseDefinition(readFileSync(new URL("../../examples/seeds/002-full-stack-development.json", import.meta.url), "utf8"));
  const graph = buildStepGraph(definition);
  assert.deepEqual(graph.entrySteps(), ["analyze_requirements"]);
  assert.deepEqual(graph.successors("design_architecture"), ["implement_frontend", "implement_backend"]);
  assert.deepEqual(graph.predecessors("integrate_systems"), ["implement_frontend", "implement_backend"]);
  assert.deepEqual(graph.topologicalOrder()?.at(-1), "test_system");
});

test("findCycles returns each loop once, as ids from its earliest step back to it", () => {
  const graph = buildStepGraph(
    steps(
      { id: "a", depends_on: ["c"] },
      { id: "b", depends_on: ["a"] },
      { id: "c", depends_on: ["b"] },
      { id: "d" },
      { id: "e", depends_on: ["d"], on_failure: ["f"] },
      { id: "f", on_success: ["e"] },
      { id: "g", on_success: ["g"] },
    ),
  );
  assert.deepEqual(graph.findCycles(), [
    ["a", "b", "c", "a"],
    ["e", "f", "e"],
    ["g", "g"],
  ]);
  assert.equal(graph.topologicalOrder(), undefined);
  assert.deepEqual(graph.entrySteps(), ["d"]);
});

test("the shortest loop through the earliest step is the one named", () => {
  const graph = buildStepGraph(steps({ id: "a", depends_on: ["d", "b"] }, { id: "b", depends_on: ["a"] }, { id: "c", depends_on: ["b"] }, { id: "d", depends_on: ["c"] }));
  assert.deepEqual(graph.findCycles(), [["a", "b", "a"]]);
});

test("decision thens naming steps are branch edges; values are not; condition then / else too", () => {
  const graph = buildStepGraph(
    steps(
      { id: "decide", type: "decision", config: { conditions: [{ if: "x", then: "left" }, { if: "y", then: "just text" }], default: "right" } },
      { id: "left" },
      { id: "right" },
      { id: "after", depends_on: ["left"] },
      { id: "check", type: "condition", config: { expression: "z", then: "yes", else: "gone" } },
      { id: "yes" },
    ),
  );
  assert.deepEqual(graph.successors("decide"), ["left", "right"]);
  assert.deepEqual(graph.successors("check"), ["yes"]);
  assert.deepEqual(graph.branchTargets(), ["left", "right", "yes"]);
  assert.deepEqual(graph.branchSources("right").map((edge) => [edge.kind, edge.at]), [["decision", ["config", "default"]]]);
  assert.deepEqual(graph.entrySteps(), ["decide", "check"]);
  assert.equal(graph.isBranchTarget("after"), false);
});

test("unknown ids are not edges; duplicate ids appear once", () => {
  const graph = new StepGraph(steps({ id: "a", depends_on: ["ghost"] }, { id: "a" }, { id: "b", on_success: ["nowhere"] }).steps);
  assert.deepEqual(graph.ids, ["a", "b"]);
  assert.deepEqual(graph.edges, []);
  assert.deepEqual(graph.entrySteps(), ["a", "b"]);
});

test("a very long chain is handled without deep recursion", () => {
  const count = 20_000;
  const chain = Array.from({ length: count }, (_, i) => ({ id: `s${i}`, type: "x", dependsOn: i === 0 ? [`s${count - 1}`] : [`s${i - 1}`], onSuccess: [], onFailure: [], config: {} }));
  const graph = new StepGraph(chain);
  const cycles = graph.findCycles();
  assert.equal(cycles.length, 1);
  assert.equal(cycles[0]?.length, count + 1);
  assert.equal(cycles[0]?.[0], "s0");
});
