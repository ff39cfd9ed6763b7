// Audit export as CSV (RFC 4180: CRLF line ends, every field quoted when it holds a quote, comma
// or line break) and as JSON. A UTF-8 byte-order mark is optional so spreadsheets show Chinese text.
import type { AuditLog } from "./audit-log.js";

export const AUDIT_CSV_COLUMNS = ["audit_id", "timestamp", "tenant_id", "action", "component_id", "user_id", "status", "metadata"] as const;

export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

export function auditLogsToCsv(logs: AuditLog[], options: { bom?: boolean } = {}): string {
  const lines = [AUDIT_CSV_COLUMNS.join(",")];
  for (const log of logs) {
    lines.push(
      [log.auditId, log.timestamp.toISOString(), log.tenantId, log.action, log.componentId ?? "", log.userId ?? "", log.status, JSON.stringify(log.metadata)]
        .map(csvField)
        .join(","),
    );
  }
  return `${options.bom ? "\uFEFF" : ""}${lines.join("\r\n")}\r\n`;
}

export function auditLogsToJson(logs: AuditLog[]): string {
  return JSON.stringify(
    logs.map((log) => ({
      audit_id: log.auditId,
      timestamp: log.timestamp.toISOString(),
      tenant_id: log.tenantId,
      action: log.action,
      component_id: log.componentId,
      user_id: log.userId,
      status: log.status,
      metadata: log.metadata,
    })),
    null,
    2,
  );
}
