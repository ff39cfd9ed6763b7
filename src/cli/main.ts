// The `synergymesh` command. The foundation has `version` and `--help`; `serve`, `run`, `validate`
// and the API commands arrive with the engine and server.
import { readFileSync } from "node:fs";
import { Command } from "commander";

/** The package's version: package.json is two folders up from src/cli, three from dist/src/cli. */
export function packageVersion(): string {
  const up = import.meta.url.includes("/dist/src/") ? "../../../package.json" : "../../package.json";
  const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}

export function buildProgram(): Command {
  const program = new Command("synergymesh")
    .description("Multi-tenant workflow orchestrator: durable workflows, tiers, quotas, fair scheduling, tamper-evident audit.")
    .version(packageVersion(), "-V, --version", "print the version");
  program
    .command("version")
    .description("print the version")
    .action(() => {
      console.log(packageVersion());
    });
  return program;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  await buildProgram().parseAsync(argv);
}
