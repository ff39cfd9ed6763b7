// `serve --demo` (what `npm start` runs): a "Demo" tenant with an owner key and the repository's
// example workflows, created on the first start only; later starts find the tenant and print nothing.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Orchestrator } from "../orchestrator.js";
import { unwrapCreateBody } from "../workflow/parse-definition.js";

export const DEMO_TENANT_NAME = "Demo";

export interface DemoResult {
  tenantId: string;
  /** The owner key, only when the tenant was created now (shown once). */
  ownerKey?: string;
  loaded: string[];
  /** Examples that do not validate yet (step types that arrive later), with the first problem. */
  skipped: Array<{ file: string; reason: string }>;
}

export async function ensureDemoTenant(orch: Orchestrator, examplesDir: string): Promise<DemoResult> {
  const existing = (await orch.listTenants()).find((t) => t.tenantName === DEMO_TENANT_NAME);
  if (existing) return { tenantId: existing.tenantId, loaded: [], skipped: [] };
  const tenantId = await orch.createTenant(DEMO_TENANT_NAME, "professional", { userId: "serve --demo" });
  const ownerKey = (await orch.createApiKey(tenantId, { name: "demo owner", role: "owner" }, { userId: "serve --demo" })).key;
  const result: DemoResult = { tenantId, ownerKey, loaded: [], skipped: [] };
  const files = [...listDefinitions(examplesDir), ...listDefinitions(join(examplesDir, "seeds"))];
  for (const file of files) {
    const text = readFileSync(file, "utf8");
    try {
      const source = file.endsWith(".json") ? (JSON.parse(text) as object) : text;
      const parts = unwrapCreateBody(source);
      await orch.registerWorkflow(source, { tenantId, tags: [...parts.tags, "example"], ownerId: parts.ownerId ?? null, userId: "serve --demo" });
      result.loaded.push(file);
    } catch (error) {
      const issues = (error as { issues?: Array<{ path: string; message: string }> }).issues;
      result.skipped.push({ file, reason: issues?.[0] ? `${issues[0].path}: ${issues[0].message}` : error instanceof Error ? error.message : String(error) });
    }
  }
  return result;
}

function listDefinitions(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => /\.(ya?ml|json)$/.test(f))
      .sort()
      .map((f) => join(dir, f));
  } catch {
    return [];
  }
}
