// The step types built into every orchestrator, registered exactly as user types are.
import type { StepExecutor } from "../engine/step-executor.js";
import { conditionExecutor, decisionExecutor } from "./decision/decision-executor.js";
import { waitExecutor } from "./wait/wait-executor.js";

export const BUILTIN_EXECUTORS: readonly StepExecutor[] = [waitExecutor, decisionExecutor, conditionExecutor];
