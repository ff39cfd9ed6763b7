// The four Kubernetes diagnosis strategies of seed 003, with the ids of their diagnosis workflows
// (examples/diagnosis/*.yaml). Installed per tenant by `installBuiltinStrategies`.
import type { StrategyInput } from "./strategy-model.js";

export const BUILTIN_STRATEGIES: readonly StrategyInput[] = Object.freeze([
  {
    strategyId: "k8s-crashloopbackoff",
    name: "Pod CrashLoopBackOff",
    category: "pod_failure",
    symptoms: [{ type: "event", pattern: "CrashLoopBackOff" }],
    workflowId: "diagnose_pod_crashloop",
    priority: 10,
  },
  {
    strategyId: "k8s-nodenotready",
    name: "Node NotReady",
    category: "node_issue",
    symptoms: [{ type: "event", pattern: "NodeNotReady" }],
    workflowId: "diagnose_node_not_ready",
    priority: 9,
  },
  {
    strategyId: "k8s-oomkilling",
    name: "OOM Killed",
    category: "pod_failure",
    symptoms: [{ type: "event", pattern: "OOMKilling" }],
    workflowId: "diagnose_oom_killed",
    priority: 10,
  },
  {
    strategyId: "k8s-failedbinding",
    name: "PVC Pending",
    category: "storage",
    symptoms: [{ type: "event", pattern: "FailedBinding" }],
    workflowId: "diagnose_pvc_pending",
    priority: 7,
  },
]);
