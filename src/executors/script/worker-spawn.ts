// Starts a worker thread from a module next to this file, in both the built (`.js`) and the source
// (`.ts`, tests under tsx) layouts: Node 20 workers do not inherit loader hooks, so from the sources
// the worker registers tsx itself before loading its entry.
import { Worker } from "node:worker_threads";
import type { WorkerOptions } from "node:worker_threads";

const SOURCE_MODE = import.meta.url.endsWith(".ts");

/** `entry` is the module's name without extension, e.g. `sandbox-worker`. */
export function spawnModuleWorker(entry: string, options: WorkerOptions): Worker {
  const url = new URL(`./${entry}${SOURCE_MODE ? ".ts" : ".js"}`, import.meta.url);
  if (!SOURCE_MODE) return new Worker(url, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const boot = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(boot, { ...options, eval: true });
}
