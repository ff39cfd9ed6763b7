// Worker side of Python scripts: loads Pyodide (CPython in WebAssembly), closes what Pyodide opens to
// the host (the `js` bridge, Node file system mounts, sockets, code generation in the worker's
// JavaScript), then runs one script with `input` in scope and returns its result as JSON text.
import { fileURLToPath } from "node:url";
import { loadPyodide } from "pyodide";
import type { PyodideAPI } from "pyodide";
import type { SandboxOutcome, ScriptLogLevel } from "./sandbox-protocol.js";

export interface PythonRunRequest {
  readonly code: string;
  readonly filename: string;
  readonly inputJson: string;
  readonly maxLogLines: number;
  readonly maxLogLineChars: number;
  readonly maxResultChars: number;
}

/**
 * Runs inside Python once, before any user code. The audit hook (PEP 578) cannot be removed from
 * Python; it refuses, while a script runs, the modules that reach the host (the `js` bridge, Pyodide's
 * own API, sockets) and the introspection that walks out of the script (frames, the garbage collector).
 * The names that were imported during start-up are dropped from sys.modules so that `import` must ask again.
 */
const LOCKDOWN = String.raw`
def _synergymesh_sandbox():
    import sys
    # Held here, so that a script that replaces json.dumps or traceback's functions only breaks itself.
    from json import dumps, loads
    from traceback import extract_tb, format_exception
    blocked = {"js", "pyodide", "_pyodide", "pyodide_js", "_pyodide_core", "micropip", "ctypes", "_ctypes",
               "socket", "_socket", "ssl", "_ssl", "select", "selectors", "_multiprocessing", "multiprocessing",
               "subprocess", "_posixsubprocess", "pyodide_http", "webbrowser"}
    for name in list(sys.modules):
        if name.split(".")[0] in blocked:
            del sys.modules[name]
    events = {"gc.get_objects", "gc.get_referrers", "gc.get_referents", "sys._getframe", "sys._current_frames",
              "sys.setprofile", "sys.settrace", "os.system", "os.exec", "os.posix_spawn", "os.fork", "os.kill"}
    frames = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back", "f_globals", "f_builtins", "f_locals", "__globals__", "__closure__"}
    armed = [False]

    def hook(event, args):
        if not armed[0]:
            return
        if event == "import" and str(args[0]).split(".")[0] in blocked:
            raise ImportError("module " + str(args[0]) + " is not available in the sandbox")
        if event in events:
            raise RuntimeError(event + " is not available in the sandbox")
        if event == "object.__getattr__" and len(args) > 1 and args[1] in frames:
            raise AttributeError(str(args[1]) + " is not available in the sandbox")

    sys.addaudithook(hook)

    def run(code, filename, input_json):
        scope = {"__name__": "__main__", "__file__": filename, "input": loads(input_json)}
        armed[0] = True
        try:
            exec(compile(code, filename, "exec"), scope)
            main = scope.get("main")
            result = main(scope["input"]) if callable(main) else scope.get("result")
        except BaseException as error:
            armed[0] = False
            lines = [f.lineno for f in extract_tb(error.__traceback__) if f.filename == filename]
            where = (" (line " + str(lines[-1]) + ")") if lines else ""
            return dumps({"ok": False, "kind": "error", "message": type(error).__name__ + ": " + str(error) + where,
                          "stack": "".join(format_exception(error))})
        armed[0] = False
        try:
            return dumps({"ok": True, "resultJson": dumps(result, allow_nan=False)})
        except (TypeError, ValueError) as error:
            return dumps({"ok": False, "kind": "result", "message": "the script's result is not JSON: " + str(error)})
    return run
`;

export interface PythonSandbox {
  run(request: PythonRunRequest, onLog: (level: ScriptLogLevel, message: string) => void): SandboxOutcome;
}

/** Removes what lets JavaScript reached from Python touch the host. Called after Pyodide has loaded. */
function closeHostAccess(py: PyodideAPI): void {
  const api = py as unknown as Record<string, unknown> & { _module: Record<string, unknown>; _api: Record<string, unknown>; FS: { filesystems: Record<string, unknown> } };
  // File systems that mount host folders, IndexedDB or other workers: only the in-memory one stays.
  for (const name of Object.keys(api.FS.filesystems)) if (name !== "MEMFS") delete api.FS.filesystems[name];
  for (const name of ["NODEFS", "NODERAWFS", "IDBFS", "WORKERFS", "PROXYFS", "SOCKFS"]) delete api._module[name];
  for (const name of ["mountNodeFS", "useNodeSockFS", "loadPackage", "loadPackagesFromImports", "pyimport"]) delete api[name];
  for (const name of ["initializeNodeSockFS", "loadDynlib", "loadBinaryFile"]) delete api._api[name];
  // The worker's own host objects: its process (environment, exit, bindings) and the network.
  const global = globalThis as Record<string, unknown>;
  for (const name of ["process", "fetch", "WebSocket", "EventSource", "Request", "Response", "Headers", "FormData", "BroadcastChannel", "require", "module"]) {
    try {
      delete global[name];
    } catch {
      global[name] = undefined;
    }
  }
  // No JavaScript from strings: that is how `import("node:fs")` would be reached through a proxy.
  const refuse = function codeGenerationRefused(): never {
    throw new Error("code generation from strings is disabled in the script sandbox");
  };
  for (const fn of [function () {}, async function () {}, function* () {}, async function* () {}]) {
    Object.defineProperty(Object.getPrototypeOf(fn), "constructor", { value: refuse, writable: false, configurable: false });
  }
  global.Function = refuse;
  global.eval = refuse;
}

export async function loadPythonSandbox(): Promise<PythonSandbox> {
  // No host environment variables reach Python (os.environ): the worker is started with an empty env too.
  // Given explicitly: Pyodide guesses its folder from the caller's stack, which a worker started from source confuses.
  const indexURL = fileURLToPath(new URL(".", import.meta.resolve("pyodide")));
  const py = await loadPyodide({ indexURL, env: { HOME: "/home/pyodide", LANG: "C.UTF-8" } });
  py.runPython(LOCKDOWN);
  const make = py.globals.get("_synergymesh_sandbox") as (() => (code: string, filename: string, input: string) => string) & { destroy(): void };
  const runner = make();
  py.globals.delete("_synergymesh_sandbox");
  make.destroy();
  let log: (level: ScriptLogLevel, message: string) => void = () => {};
  py.setStdout({ batched: (line: string) => log("info", line) });
  py.setStderr({ batched: (line: string) => log("warn", line) });
  closeHostAccess(py);
  return {
    run(request, onLog) {
      let lines = 0;
      log = (level, message) => {
        lines++;
        if (lines <= request.maxLogLines) onLog(level, message.length > request.maxLogLineChars ? `${message.slice(0, request.maxLogLineChars)}...` : message);
        else if (lines === request.maxLogLines + 1) onLog("warn", `more than ${request.maxLogLines} lines of output; the rest is dropped`);
      };
      const outcome = JSON.parse(runner(request.code, request.filename, request.inputJson)) as SandboxOutcome;
      if (outcome.ok && outcome.resultJson.length > request.maxResultChars) {
        return { ok: false, kind: "result", message: `the script's result is larger than ${request.maxResultChars} characters of JSON` };
      }
      return outcome;
    },
  };
}
