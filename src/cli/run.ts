// Entry point for running the CLI from source: `tsx src/cli/run.ts --help`.
import { main } from "./main.js";

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
