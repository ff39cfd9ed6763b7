// Real programs for the command and remediation tests, written to a temp folder: a fake kubectl that
// prints its arguments, one that prints its environment, a flaky one, a chatty one, one that reads
// stdin, and one that reports itself and a child to a local TCP server and then waits to be killed.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import type { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestPrograms {
  dir: string;
  programs: Record<string, string>;
  cleanup(): void;
}

function script(dir: string, name: string, body: string): string {
  const path = join(dir, name);
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}

const NODE = process.execPath;

export function makePrograms(): TestPrograms {
  const dir = mkdtempSync(join(tmpdir(), "synergymesh-programs-"));
  const programs = {
    kubectl: script(dir, "kubectl", `#!/bin/sh\nfor arg in "$@"; do printf '%s\\n' "$arg"; done\n`),
    printenv: script(dir, "printenv", `#!${NODE}\nprocess.stdout.write(JSON.stringify(process.env));\n`),
    // Fails while the marker file is missing, creating it: the second run succeeds.
    flaky: script(dir, "flaky", `#!/bin/sh\nif [ -f "$1" ]; then echo recovered; exit 0; fi\ntouch "$1"\necho "not yet" >&2\nexit 3\n`),
    chatty: script(dir, "chatty", `#!${NODE}\nprocess.stdout.write("x".repeat(100000));\nprocess.stderr.write("y".repeat(5000));\n`),
    upper: script(dir, "upper", `#!${NODE}\nlet s = "";\nprocess.stdin.on("data", (c) => (s += c)).on("end", () => process.stdout.write(s.toUpperCase()));\n`),
    json: script(dir, "json", `#!/bin/sh\necho '{"pods": 3}'\n`),
    // Connects to 127.0.0.1:$1, sends its pid, starts a child doing the same, and waits forever.
    linger: script(
      dir,
      "linger",
      `#!${NODE}\nconst net = require("node:net");\nconst { spawn } = require("node:child_process");\nconst port = Number(process.argv[2]);\nconst s = net.connect(port, "127.0.0.1", () => s.write(String(process.pid)));\nif (process.argv[3] !== "child") spawn(process.execPath, [__filename, String(port), "child"], { stdio: "ignore" });\nsetInterval(() => {}, 1000);\n`,
    ),
  };
  return { dir, programs, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A TCP server that the `linger` program and its child report to; `closed` resolves when both are gone. */
export async function startReportServer() {
  const sockets: Socket[] = [];
  let reported!: () => void;
  const bothReported = new Promise<void>((resolve) => (reported = resolve));
  const closes: Promise<void>[] = [];
  const server = createServer((socket) => {
    sockets.push(socket);
    closes.push(new Promise<void>((resolve) => socket.once("close", () => resolve())));
    socket.on("error", () => {});
    socket.resume(); // read, so the end of the connection is seen
    if (sockets.length === 2) reported();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  return {
    port: (server.address() as { port: number }).port,
    bothReported,
    /** Resolves when both processes' connections have closed (they die with their processes). */
    bothGone: () => Promise.all(closes).then(() => undefined),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
