// Entry point for running the CLI from source: `tsx src/cli/run.ts --help`.
import { main } from "./main.js";

process.exitCode = await main();
