// HTTP metrics in the orchestrator's Prometheus registry: requests and durations by method, route
// pattern and status (bounded labels: the route pattern, never the raw URL with ids), queue depth
// per tenant read at scrape time, and WebSocket connections.
import { Counter, Gauge, Histogram } from "prom-client";
import type { Registry } from "prom-client";
import type { Orchestrator } from "../orchestrator.js";

export interface HttpMetrics {
  observe(method: string, route: string, status: number, seconds: number): void;
  wsConnections: { inc(): void; dec(): void };
}

/** Registers once per registry (a second server on the same orchestrator shares the metrics). */
export function httpMetrics(registry: Registry, orch: Orchestrator): HttpMetrics {
  const requests = (registry.getSingleMetric("orchestrator_http_requests_total") as Counter | undefined) ?? new Counter({ name: "orchestrator_http_requests_total", help: "HTTP requests by method, route pattern and status", labelNames: ["method", "route", "status"], registers: [registry] });
  const duration =
    (registry.getSingleMetric("orchestrator_http_request_duration_seconds") as Histogram | undefined) ??
    new Histogram({ name: "orchestrator_http_request_duration_seconds", help: "HTTP request duration by method and route pattern", labelNames: ["method", "route"], buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10], registers: [registry] });
  const ws = (registry.getSingleMetric("orchestrator_websocket_connections") as Gauge | undefined) ?? new Gauge({ name: "orchestrator_websocket_connections", help: "Open WebSocket gateway connections", registers: [registry] });
  if (!registry.getSingleMetric("orchestrator_queue_depth")) {
    new Gauge({
      name: "orchestrator_queue_depth",
      help: "Tasks waiting in the queue per tenant (state: ready, scheduled for later, leased to a node)",
      labelNames: ["tenant_id", "state"],
      registers: [registry],
      async collect() {
        const status = await orch.getSchedulerStatus();
        this.reset();
        for (const q of status.queues) {
          this.set({ tenant_id: q.tenantId, state: "ready" }, q.ready);
          this.set({ tenant_id: q.tenantId, state: "scheduled" }, q.timed);
          this.set({ tenant_id: q.tenantId, state: "leased" }, q.running);
        }
      },
    });
  }
  // Bound children per label set: prom-client hashes a label object on every call otherwise. The
  // sets are bounded (route patterns x methods x statuses), so the maps stay small.
  const counters = new Map<string, { inc(): void }>();
  const histograms = new Map<string, { observe(v: number): void }>();
  return {
    observe(method, route, status, seconds) {
      const key = `${method} ${route}`;
      const counterKey = `${key} ${status}`;
      let counter = counters.get(counterKey);
      if (!counter) counters.set(counterKey, (counter = requests.labels(method, route, String(status))));
      counter.inc();
      let histogram = histograms.get(key);
      if (!histogram) histograms.set(key, (histogram = duration.labels(method, route)));
      histogram.observe(seconds);
    },
    wsConnections: ws,
  };
}
