#!/usr/bin/env node
// The installed command: runs the compiled CLI (`npm run build` makes dist/ in a checkout).
import { existsSync } from "node:fs";

const entry = new URL("../dist/src/cli/main.js", import.meta.url);
// main.js only exports; run it here. It returns the exit code rather than exiting, so piped
// output is written out in full before the process ends.
if (!existsSync(entry)) {
  console.error("synergymesh: dist/ is missing; run `npm run build` first (or use `npx tsx src/cli/run.ts` in a checkout)");
  process.exit(1);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv);
