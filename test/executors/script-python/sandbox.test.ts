// Python scripts reach nothing of the host: the js bridge, Pyodide's API, sockets, host files and
// environment, code generation in the worker; and nothing of one run reaches the next.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { pythonSuite } from "./python-suite.js";

describe("script step, runtime: python: sandbox", () => {
  const s = pythonSuite();
  let t: typeof s.t;
  const { run } = s;
  before(async () => {
    process.env.SYNERGYMESH_TEST_MARKER = "host-secret-value";
    await s.open();
    t = s.t;
  });
  after(async () => {
    delete process.env.SYNERGYMESH_TEST_MARKER;
    await t.dispose();
  });

  test("no host access: js, pyodide, sockets, host files and environment, and no way back through Pyodide's globals", async () => {
    const code = `
import os
def attempt(fn):
    try:
        return "allowed: " + repr(fn())
    except BaseException as error:
        return "refused: " + type(error).__name__

def via_globals():
    import asyncio
    loop = asyncio.get_event_loop()
    proxy = type(loop).call_later.__globals__["scheduleCallback"]
    return proxy.constructor("return process")()

def via_import(name):
    return lambda: __import__(name)

result = {
    "js": attempt(via_import("js")),
    "pyodide": attempt(via_import("pyodide")),
    "pyodide_js": attempt(via_import("pyodide_js")),
    "socket": attempt(via_import("socket")),
    "etc_file": attempt(lambda: open("/etc/passwd").read()),
    "host_root": sorted(os.listdir("/")),
    "marker": os.environ.get("SYNERGYMESH_TEST_MARKER"),
    "globals_escape": attempt(via_globals),
    "frames": attempt(lambda: __import__("sys")._getframe(1)),
    "gc": attempt(lambda: __import__("gc").get_objects()),
}
`;
    const { step } = await run({ id: "probe", config: { runtime: "python", code } });
    assert.equal(step.status, "completed", step.error ?? "");
    const output = step.output as Record<string, unknown>;
    assert.deepEqual(output, {
      js: "refused: ImportError",
      pyodide: "refused: ImportError",
      pyodide_js: "refused: ImportError",
      socket: "refused: ImportError",
      etc_file: "refused: FileNotFoundError",
      host_root: ["dev", "home", "lib", "proc", "tmp"],
      marker: null,
      globals_escape: "refused: JsException",
      frames: "refused: RuntimeError",
      gc: "refused: RuntimeError",
    });
  });

  test("nothing of one run reaches the next: each run has its own interpreter", async () => {
    const first = await run({ id: "set", config: { runtime: "python", code: "import builtins, json\nbuiltins.leftover = 'tenant A'\njson.dumps = None\nresult = 1" } });
    assert.equal(first.step.status, "completed", first.step.error ?? "");
    const second = await run({ id: "get", config: { runtime: "python", code: "import builtins, json\nresult = [hasattr(builtins, 'leftover'), json.dumps is None]" } });
    assert.deepEqual(second.step.output, [false, false]);
  });
});
