// Entry of a sandbox worker thread: loads one QuickJS module with a capped WASM memory, then runs one
// script at a time for the pool (sandbox-pool.ts). A run that breaks the module marks the worker unusable.
import { parentPort, workerData } from "node:worker_threads";
import { loadCappedQuickJS, runInQuickJS } from "./quickjs-sandbox.js";
import type { HostToWorker, WorkerToHost } from "./sandbox-protocol.js";

const port = parentPort;
if (!port) throw new Error("sandbox-worker runs only as a worker thread");
const sandbox = await loadCappedQuickJS((workerData as { capBytes: number }).capBytes);
const send = (message: WorkerToHost) => port.postMessage(message);

port.on("message", ({ id, request }: HostToWorker) => {
  send({ type: "started", id });
  try {
    const outcome = runInQuickJS(sandbox, request, (level, message) => send({ type: "log", id, level, message }));
    send({ type: "done", id, outcome, unusable: false });
  } catch (error) {
    // Not the script's exception but the sandbox's own (say, the WASM call stack overflowed in a deep
    // parse): QuickJS may be left half-way through a call, so this worker is not used again.
    const message = `the script broke its sandbox (${error instanceof Error ? error.message : String(error)}); the worker was replaced`;
    send({ type: "done", id, outcome: { ok: false, kind: "crash", message }, unusable: true });
  }
});
