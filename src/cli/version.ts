// The package's version, read from package.json: two folders up from src/cli, three from dist/src/cli.
import { readFileSync } from "node:fs";

export function packageVersion(): string {
  const up = import.meta.url.includes("/dist/src/") ? "../../../package.json" : "../../package.json";
  const pkg = JSON.parse(readFileSync(new URL(up, import.meta.url), "utf8")) as { version: string };
  return pkg.version;
}
