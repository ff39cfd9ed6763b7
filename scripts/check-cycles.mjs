#!/usr/bin/env node
// Fails when src/ has an import cycle (STYLE.md rule 2), counting type-only imports too.
import madge from "madge";

const result = await madge("src", {
  fileExtensions: ["ts"],
  tsConfig: "tsconfig.json",
  detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
});
const cycles = result.circular();
const files = Object.keys(result.obj()).length;
if (files < 10) {
  console.error(`check-cycles: only ${files} files resolved under src/; the resolver is broken`);
  process.exit(1);
}
if (cycles.length) {
  console.error(`check-cycles: ${cycles.length} import cycle(s):`);
  for (const cycle of cycles) console.error(`  ${cycle.join(" -> ")}`);
  process.exit(1);
}
console.log(`check-cycles: ${files} files, no import cycles`);
