// Entry of a Python worker thread: loads Pyodide and closes its host access (python-sandbox.ts), says
// it is ready, runs exactly one script, reports, and is then terminated by the pool: nothing of one
// run (modules, globals, files) can reach the next, which may belong to another tenant.
import { parentPort } from "node:worker_threads";
import { loadPythonSandbox } from "./python-sandbox.js";
import type { PythonRunRequest } from "./python-sandbox.js";
import type { SandboxOutcome, ScriptLogLevel } from "./sandbox-protocol.js";

export type PythonHostToWorker = { readonly type: "run"; readonly request: PythonRunRequest };
export type PythonWorkerToHost =
  | { readonly type: "ready" }
  | { readonly type: "log"; readonly level: ScriptLogLevel; readonly message: string }
  | { readonly type: "done"; readonly outcome: SandboxOutcome };

const port = parentPort;
if (!port) throw new Error("python-worker runs only as a worker thread");
const send = (message: PythonWorkerToHost) => port.postMessage(message);
const sandbox = await loadPythonSandbox();
port.once("message", ({ request }: PythonHostToWorker) => {
  let outcome: SandboxOutcome;
  try {
    outcome = sandbox.run(request, (level, message) => send({ type: "log", level, message }));
  } catch (error) {
    outcome = { ok: false, kind: "crash", message: `the Python sandbox failed: ${error instanceof Error ? error.message : String(error)}` };
  }
  send({ type: "done", outcome });
});
send({ type: "ready" });
