import assert from "node:assert/strict";
import { test } from "node:test";
import { tempSqliteDatabase } from "synergymesh/testing";
import { main } from "../../examples/quickstart.js";

test("examples/quickstart.ts (seed 000's complete example) runs and reports success", async () => {
  const db = tempSqliteDatabase();
  const lines: string[] = [];
  try {
    await main({ database: db.database, log: (line) => lines.push(line) });
  } finally {
    await db.cleanup();
  }
  assert.match(lines[0] ?? "", /tenant created: tenant-[0-9a-f]{12}$/);
  assert.ok(lines.includes('訂單已處理 order processed: {"order_id":"12345","status":"processed"}'), lines.join("\n"));
  assert.ok(lines.includes("系統健康: 成功率 success rate 100.0%"));
  assert.ok(lines.some((l) => l.startsWith("審計 audit:") && l.includes("create_tenant (success)")));
  assert.ok(lines.includes("審計鏈 audit chain: intact (2 records)"));
});
