// The step types built into every orchestrator, registered exactly as user types are.
import type { StepExecutor } from "../engine/step-executor.js";
import { approvalExecutor } from "./approval/approval-executor.js";
import { conditionExecutor, decisionExecutor } from "./decision/decision-executor.js";
import { loopExecutor } from "./loop/loop-executor.js";
import { parallelExecutor } from "./parallel/parallel-executor.js";
import { waitExecutor } from "./wait/wait-executor.js";

/** Built-in types that need nothing but their config; others (subworkflow, http, ...) are made by factories in orchestrator.ts. */
export const BUILTIN_EXECUTORS: readonly StepExecutor[] = [waitExecutor, decisionExecutor, conditionExecutor, approvalExecutor, loopExecutor, parallelExecutor];
