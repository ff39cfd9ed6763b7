import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { TenantTier } from "synergymesh";
import { DIALECTS, openTestOrchestrator, rawQuery } from "synergymesh/testing";
import type { TestOrchestrator } from "synergymesh/testing";

const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  describe(`audit chain on ${dialect}`, () => {
    let t: TestOrchestrator;
    let tenant: string;
    before(async () => {
      t = await openTestOrchestrator(dialect);
      tenant = await t.orch.createTenant("Audited", TenantTier.PROFESSIONAL);
      for (let i = 0; i < 5; i++) await t.orch.executeWithRetry(async () => i, `c${i}`, tenant);
    });
    after(() => t.dispose());

    test("an intact log verifies, record by record", async () => {
      const v = await t.orch.verifyAuditChain(tenant);
      assert.equal(v.ok, true);
      assert.equal(v.recordsChecked, 6);
      assert.equal(v.chainsChecked, 2, "standard and sensitive chains");
    });

    test("a record changed in the database fails verification at that record", async () => {
      const [victim] = await rawQuery<{ audit_id: string; seq: number; metadata: string }>(t.db, "SELECT audit_id, seq, metadata FROM audit_log WHERE tenant_id = $1 AND chain = 'standard' AND seq = 3", [tenant]);
      assert.ok(victim);
      await rawQuery(t.db, "UPDATE audit_log SET status = 'failed' WHERE audit_id = $1", [victim.audit_id]);
      const v = await t.orch.verifyAuditChain(tenant);
      assert.equal(v.ok, false);
      assert.deepEqual(v.firstBroken, { tenantId: tenant, chain: "standard", seq: 3, auditId: victim.audit_id, reason: "hash_mismatch" });
      await rawQuery(t.db, "UPDATE audit_log SET status = 'success' WHERE audit_id = $1", [victim.audit_id]);
      assert.equal((await t.orch.verifyAuditChain(tenant)).ok, true, "restoring the value restores the chain");
    });

    test("deleting the newest record is detected through the signed head", async () => {
      const rows = await rawQuery<Record<string, unknown>>(t.db, "SELECT * FROM audit_log WHERE tenant_id = $1 AND chain = 'standard' AND seq = 5", [tenant]);
      await rawQuery(t.db, "DELETE FROM audit_log WHERE tenant_id = $1 AND chain = 'standard' AND seq = 5", [tenant]);
      const v = await t.orch.verifyAuditChain(tenant);
      assert.equal(v.ok, false);
      assert.equal(v.firstBroken?.reason, "records_missing_at_end");
      assert.equal(v.firstBroken?.seq, 5);
      const row = rows[0] as Record<string, unknown>;
      const cols = Object.keys(row);
      await rawQuery(t.db, `INSERT INTO audit_log (${cols.join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`, cols.map((c) => row[c]));
      assert.equal((await t.orch.verifyAuditChain(tenant)).ok, true);
    });

    test("rewriting the chain and its head without the key is detected", async () => {
      // Drop the newest record and move the head back to the previous record's hash: every link
      // is consistent, but the head's HMAC no longer matches.
      const [prev] = await rawQuery<{ hash: string }>(t.db, "SELECT hash FROM audit_log WHERE tenant_id = $1 AND chain = 'standard' AND seq = 4", [tenant]);
      const backup = await rawQuery<Record<string, unknown>>(t.db, "SELECT * FROM audit_log WHERE tenant_id = $1 AND chain = 'standard' AND seq = 5", [tenant]);
      const [head] = await rawQuery<{ seq: number; hash: string }>(t.db, "SELECT seq, hash FROM audit_heads WHERE tenant_id = $1 AND chain = 'standard'", [tenant]);
      await rawQuery(t.db, "DELETE FROM audit_log WHERE tenant_id = $1 AND chain = 'standard' AND seq = 5", [tenant]);
      await rawQuery(t.db, "UPDATE audit_heads SET seq = 4, hash = $2 WHERE tenant_id = $1 AND chain = 'standard'", [tenant, prev?.hash]);
      const v = await t.orch.verifyAuditChain(tenant);
      assert.equal(v.ok, false);
      assert.equal(v.firstBroken?.reason, "head_signature_invalid");
      const row = backup[0] as Record<string, unknown>;
      const cols = Object.keys(row);
      await rawQuery(t.db, `INSERT INTO audit_log (${cols.join(", ")}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(", ")})`, cols.map((c) => row[c]));
      await rawQuery(t.db, "UPDATE audit_heads SET seq = $2, hash = $3 WHERE tenant_id = $1 AND chain = 'standard'", [tenant, head?.seq, head?.hash]);
      assert.equal((await t.orch.verifyAuditChain(tenant)).ok, true);
    });

    test("query by hours, action and status", async () => {
      assert.equal((await t.orch.getAuditLogs(tenant, { action: "execute_with_retry" })).length, 5);
      assert.equal((await t.orch.getAuditLogs(tenant, { status: "failed" })).length, 0);
      await t.clock.advance(25 * 3_600_000);
      assert.equal((await t.orch.getAuditLogs(tenant)).length, 0, "the default window is 24 hours");
      assert.equal((await t.orch.getAuditLogs(tenant, { hours: 168 })).length, 6);
      const [newest] = await t.orch.getAuditLogs(tenant, { hours: 168 });
      assert.equal(newest?.componentId, "c4");
      await assert.rejects(t.orch.getAuditLogs(tenant, { hours: -1 }), { code: "VALIDATION_FAILED" });
    });

    test("retention purges old standard records after 90 days and sensitive ones after a year, and the chain still verifies", async () => {
      await t.clock.advance(91 * DAY);
      await t.orch.executeWithRetry(async () => "late", "late", tenant);
      const removed = await t.orch.purgeAuditLogs();
      assert.ok(removed >= 5, `removed ${removed}`);
      const left = await t.orch.getAuditLogs(tenant, { hours: 24 * 400 });
      assert.deepEqual(left.map((l) => l.action).sort(), ["create_tenant", "execute_with_retry"]);
      assert.equal((await t.orch.verifyAuditChain()).ok, true, "verification starts from the signed anchor");
      await t.clock.advance(300 * DAY);
      await t.orch.purgeAuditLogs();
      assert.deepEqual((await t.orch.getAuditLogs(tenant, { hours: 24 * 800 })).map((l) => l.action), [], "the sensitive record goes after a year");
      assert.equal((await t.orch.verifyAuditChain()).ok, true);
      // Moving the anchor forward by hand (hiding purged-too-early records) breaks its signature.
      await rawQuery(t.db, "UPDATE audit_heads SET anchor_seq = anchor_seq + 1 WHERE tenant_id = $1 AND chain = 'standard'", [tenant]);
      assert.equal((await t.orch.verifyAuditChain(tenant)).firstBroken?.reason, "anchor_signature_invalid");
    });
  });
}

describe("audit export", () => {
  let t: TestOrchestrator;
  before(async () => {
    t = await openTestOrchestrator("sqlite");
  });
  after(() => t.dispose());

  test("CSV follows RFC 4180 with quotes, commas, newlines and Chinese text; JSON round-trips", async () => {
    const tenant = await t.orch.createTenant('公司 "甲", 上海\n分部', TenantTier.BASIC);
    await t.orch.executeWithRetry(() => {
      throw new Error('失敗: "timeout", retry\r\nlater');
    }, "訂單,處理", tenant, { maxRetries: 0, userId: "用戶-1" });
    const csv = await t.orch.exportAuditLogs(tenant, "csv");
    const rows = parseCsv(csv);
    assert.deepEqual(rows[0], ["audit_id", "timestamp", "tenant_id", "action", "component_id", "user_id", "status", "metadata"]);
    assert.equal(rows.length, 3);
    const failed = rows.find((r) => r[3] === "execute_with_retry") as string[];
    assert.equal(failed[4], "訂單,處理");
    assert.equal(failed[5], "用戶-1");
    assert.equal(JSON.parse(failed[7] as string).error, '失敗: "timeout", retry\r\nlater');
    const created = rows.find((r) => r[3] === "create_tenant") as string[];
    assert.equal(JSON.parse(created[7] as string).tenant_name, '公司 "甲", 上海\n分部');
    assert.ok(csv.endsWith("\r\n"));
    assert.ok((await t.orch.exportAuditLogs(tenant, "csv", { bom: true })).startsWith("\uFEFF"));
    const json = JSON.parse(await t.orch.exportAuditLogs(tenant, "json")) as Array<{ action: string; tenant_id: string; metadata: Record<string, unknown> }>;
    assert.equal(json.length, 2);
    assert.equal(json[0]?.tenant_id, tenant);
    await assert.rejects(t.orch.exportAuditLogs(tenant, "xml" as never), { code: "VALIDATION_FAILED" });
  });
});

/** A strict RFC 4180 reader: what a spreadsheet or `csv` module does with the export. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const c = text[i] as string;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (c === '"') {
        quoted = false;
        i += 1;
      } else {
        field += c;
        i += 1;
      }
    } else if (c === '"') {
      assert.equal(field, "", "a quote may only open a field");
      quoted = true;
      i += 1;
    } else if (c === ",") {
      row.push(field);
      field = "";
      i += 1;
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
      i += 2;
    } else {
      assert.ok(c !== "\n" && c !== "\r", "bare line breaks only inside quotes");
      field += c;
      i += 1;
    }
  }
  assert.equal(quoted, false);
  assert.equal(row.length + field.length, 0, "the file ends with CRLF");
  return rows;
}
