// The step graph: edges from depends_on and from branches (on_success, on_failure, decision
// targets), cycles, entry steps and branch targets. Unknown ids are not edges; validation reports them.
import { decisionOutcomes } from "./decision-config.js";
import type { PathSegment } from "./definition-paths.js";
import type { StepDefinition, WorkflowDefinition } from "./model.js";

export type StepEdgeKind = "depends_on" | "on_success" | "on_failure" | "decision";

/** `from` runs before `to`. For depends_on, `to` is the step that declared the dependency. */
export interface StepEdge {
  from: string;
  to: string;
  kind: StepEdgeKind;
  /** Index of the step where the reference is written, and the segments under it (`["depends_on", 0]`). */
  stepIndex: number;
  at: PathSegment[];
}

export const BRANCH_EDGE_KINDS: ReadonlySet<StepEdgeKind> = new Set(["on_success", "on_failure", "decision"]);

export class StepGraph {
  /** Step ids in definition order; a duplicated id appears once (validation reports duplicates). */
  readonly ids: readonly string[];
  readonly edges: readonly StepEdge[];
  private readonly order = new Map<string, number>();
  private readonly out = new Map<string, string[]>();
  private readonly in = new Map<string, string[]>();
  private readonly edgesInto = new Map<string, StepEdge[]>();

  constructor(steps: readonly Pick<StepDefinition, "id" | "type" | "config" | "dependsOn" | "onSuccess" | "onFailure">[]) {
    for (const step of steps) {
      if (this.order.has(step.id)) continue;
      this.order.set(step.id, this.order.size);
      this.out.set(step.id, []);
      this.in.set(step.id, []);
      this.edgesInto.set(step.id, []);
    }
    this.ids = [...this.order.keys()];
    const known = new Set(this.ids);
    const edges: StepEdge[] = [];
    steps.forEach((step, stepIndex) => {
      const add = (from: string, to: string, kind: StepEdgeKind, at: PathSegment[]) => {
        if (!known.has(from) || !known.has(to)) return;
        const edge: StepEdge = { from, to, kind, stepIndex, at };
        edges.push(edge);
        (this.edgesInto.get(to) as StepEdge[]).push(edge);
        const out = this.out.get(from) as string[];
        if (!out.includes(to)) out.push(to);
        const into = this.in.get(to) as string[];
        if (!into.includes(from)) into.push(from);
      };
      step.dependsOn.forEach((dependency, i) => add(dependency, step.id, "depends_on", ["depends_on", i]));
      step.onSuccess.forEach((target, i) => add(step.id, target, "on_success", ["on_success", i]));
      step.onFailure.forEach((target, i) => add(step.id, target, "on_failure", ["on_failure", i]));
      for (const outcome of decisionOutcomes(step, known)) {
        if (outcome.kind === "branch" && outcome.step !== undefined) add(step.id, outcome.step, "decision", outcome.at);
      }
    });
    this.edges = edges;
  }

  has(id: string): boolean {
    return this.order.has(id);
  }

  /** Steps that run after `id` (through any edge kind), in order of first mention. */
  successors(id: string): readonly string[] {
    return this.out.get(id) ?? [];
  }

  /** Steps `id` runs after: its dependencies and the steps that branch to it. */
  predecessors(id: string): readonly string[] {
    return this.in.get(id) ?? [];
  }

  /** The depends_on steps of `id` that exist. */
  dependencies(id: string): string[] {
    return (this.edgesInto.get(id) ?? []).filter((edge) => edge.kind === "depends_on").map((edge) => edge.from);
  }

  /** The branch edges (on_success, on_failure, decision) that lead to `id`. */
  branchSources(id: string): StepEdge[] {
    return (this.edgesInto.get(id) ?? []).filter((edge) => BRANCH_EDGE_KINDS.has(edge.kind));
  }

  /**
   * A branch target is started by one of its branch sources (when that source succeeds, fails or
   * decides for it), never just because its dependencies finished; if no branch fires, it is skipped.
   */
  isBranchTarget(id: string): boolean {
    return (this.edgesInto.get(id) ?? []).some((edge) => BRANCH_EDGE_KINDS.has(edge.kind));
  }

  /** Steps reached only through branches, in definition order. */
  branchTargets(): string[] {
    return this.ids.filter((id) => this.isBranchTarget(id));
  }

  /** Steps with no predecessors: ready as soon as an execution starts. */
  entrySteps(): string[] {
    return this.ids.filter((id) => this.predecessors(id).length === 0);
  }

  /**
   * One cycle per strongly connected component, plus every self-reference; each as the ids along it
   * with the first repeated at the end: `["a", "b", "c", "a"]` means a -> b -> c -> a. Each cycle
   * starts at its earliest-defined step and is the shortest loop through it.
   */
  findCycles(): string[][] {
    const cycles: string[][] = [];
    for (const component of this.components()) {
      const members = new Set(component);
      const start = component.reduce((a, b) => ((this.order.get(a) as number) <= (this.order.get(b) as number) ? a : b));
      if (component.length === 1 && !this.successors(start).includes(start)) continue;
      const loop = this.shortestLoop(start, members);
      cycles.push(loop);
      // A step that names itself is its own mistake, worth its own report even inside a larger loop.
      for (const id of component) {
        if (this.successors(id).includes(id) && !(loop.length === 2 && loop[0] === id)) cycles.push([id, id]);
      }
    }
    return cycles.sort((a, b) => (this.order.get(a[0] as string) as number) - (this.order.get(b[0] as string) as number));
  }

  /** Every step after all its predecessors (definition order among equals), or undefined if cyclic. */
  topologicalOrder(): string[] | undefined {
    const remaining = new Map(this.ids.map((id) => [id, this.predecessors(id).length]));
    const ready = this.ids.filter((id) => remaining.get(id) === 0);
    const order: string[] = [];
    while (ready.length > 0) {
      ready.sort((a, b) => (this.order.get(a) as number) - (this.order.get(b) as number));
      const id = ready.shift() as string;
      order.push(id);
      for (const next of this.successors(id)) {
        const left = (remaining.get(next) as number) - 1;
        remaining.set(next, left);
        if (left === 0) ready.push(next);
      }
    }
    return order.length === this.ids.length ? order : undefined;
  }

  /** Tarjan's strongly connected components, iterative so a long chain cannot overflow the stack. */
  private components(): string[][] {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const components: string[][] = [];
    let counter = 0;
    for (const root of this.ids) {
      if (index.has(root)) continue;
      const work: Array<{ id: string; next: number }> = [];
      const visit = (id: string) => {
        index.set(id, counter);
        low.set(id, counter++);
        stack.push(id);
        onStack.add(id);
        work.push({ id, next: 0 });
      };
      visit(root);
      while (work.length > 0) {
        const frame = work[work.length - 1] as { id: string; next: number };
        const successors = this.successors(frame.id);
        if (frame.next < successors.length) {
          const w = successors[frame.next++] as string;
          if (!index.has(w)) visit(w);
          else if (onStack.has(w)) low.set(frame.id, Math.min(low.get(frame.id) as number, index.get(w) as number));
          continue;
        }
        work.pop();
        const parent = work[work.length - 1];
        if (parent) low.set(parent.id, Math.min(low.get(parent.id) as number, low.get(frame.id) as number));
        if (low.get(frame.id) === index.get(frame.id)) {
          const component: string[] = [];
          let member: string;
          do {
            member = stack.pop() as string;
            onStack.delete(member);
            component.push(member);
          } while (member !== frame.id);
          components.push(component);
        }
      }
    }
    return components;
  }

  /** Breadth-first from `start` inside its component until an edge leads back to `start`. */
  private shortestLoop(start: string, members: ReadonlySet<string>): string[] {
    const parent = new Map<string, string>();
    const queue = [start];
    for (let head = 0; head < queue.length; head++) {
      const id = queue[head] as string;
      for (const next of this.successors(id)) {
        if (next === start) {
          const backwards = [start, id];
          for (let at = id; at !== start; ) {
            at = parent.get(at) as string;
            backwards.push(at);
          }
          return backwards.reverse();
        }
        if (members.has(next) && !parent.has(next) && next !== start) {
          parent.set(next, id);
          queue.push(next);
        }
      }
    }
    return [start, start]; // unreachable for a real component; kept total for the type
  }
}

export function buildStepGraph(definition: Pick<WorkflowDefinition, "steps">): StepGraph {
  return new StepGraph(definition.steps);
}
