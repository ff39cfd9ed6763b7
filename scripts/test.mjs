#!/usr/bin/env node
// Runs every test with node's test runner through tsx. Node 20 does not expand globs, so the files
// are listed here; pass folders or files to run a subset: `npm test -- test/tenancy`.
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function collect(path, out) {
  if (statSync(path).isDirectory()) {
    for (const entry of readdirSync(path).sort()) collect(join(path, entry), out);
  } else if (path.endsWith(".test.ts")) {
    out.push(path);
  }
  return out;
}

const roots = process.argv.slice(2).length ? process.argv.slice(2) : ["test"];
const files = roots.flatMap((root) => collect(root, []));
if (files.length === 0) {
  console.error(`no test files under ${roots.join(", ")}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ["--import", "tsx", "--conditions=source", "--test", "--test-reporter=spec", "--test-timeout=120000", `--test-concurrency=${process.env.TEST_CONCURRENCY ?? 2}`, ...files],
  { stdio: "inherit", env: { ...process.env, SYNERGYMESH_LOG_LEVEL: process.env.SYNERGYMESH_LOG_LEVEL ?? "silent" } },
);
process.exit(result.status ?? 1);
