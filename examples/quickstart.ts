// Seed 000's complete example ("完整工作流示例") in TypeScript: create a tenant, set a retry policy,
// check the quota, run a task with retries, then read metrics and the tenant's health.
// Run it with `npm run example:quickstart`; it uses the embedded SQLite store (SYNERGYMESH_DATABASE_URL to change).
import { Orchestrator, TenantTier } from "synergymesh";
import type { TaskContext } from "synergymesh";

export async function main(options: { database?: string; log?: (line: string) => void } = {}): Promise<void> {
  const log = options.log ?? console.log;
  // 初始化協調器 (open the orchestrator)
  const orch = await Orchestrator.open(options.database ? { database: options.database } : {});
  try {
    // 創建租戶 (create a tenant)
    const tenantId = await orch.createTenant("MyCompany", TenantTier.PROFESSIONAL);
    log(`租戶已創建 tenant created: ${tenantId}`);

    // 設置重試策略 (retry policy for a component)
    // (The seed sets the policy on "my_component" but runs "order_processor"; here they match.)
    orch.retryPolicies.set("order_processor", { maxRetries: 3, initialDelay: 500 });

    // 定義任務 (the task)
    async function processOrder(_context: TaskContext) {
      return { order_id: "12345", status: "processed" };
    }

    // 檢查資源配額 (check the quota, then run)
    if (await orch.checkResourceQuota(tenantId)) {
      const result = await orch.executeWithRetry(processOrder, "order_processor", tenantId);
      if (result.status === "success") {
        log(`訂單已處理 order processed: ${JSON.stringify(result.output)}`);
      } else {
        log(`處理失敗 failed: ${result.error}`);
        log(`重試次數 retries: ${result.retryCount}`);
      }
    } else {
      log("資源配額已達上限 quota reached");
    }

    // 獲取指標 (metrics)
    const metrics = await orch.getMetrics();
    log(`系統健康: 成功率 success rate ${metrics.successRate.toFixed(1)}%`);

    // 檢查租戶健康 (tenant health)
    const health = await orch.getTenantHealth(tenantId);
    log(`租戶狀態 tenant health: ${JSON.stringify({ uptimePercent: health.uptimePercent, totalExecutions: health.totalExecutions, successful: health.successful })}`);

    // 審計日誌 (the audit trail of this tenant, and its integrity)
    const logs = await orch.getAuditLogs(tenantId, { hours: 168 });
    for (const entry of logs) log(`審計 audit: ${entry.timestamp.toISOString()} ${entry.action} (${entry.status})`);
    const verification = await orch.verifyAuditChain(tenantId);
    log(`審計鏈 audit chain: ${verification.ok ? "intact" : "BROKEN"} (${verification.recordsChecked} records)`);
  } finally {
    await orch.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
