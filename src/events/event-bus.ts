// The in-process event bus: every tenant event (from the API, application code or a NATS subject)
// goes through `publish`, which checks it, hands it to the router (triggers and strategies) and then
// tells in-process subscribers. One bus per orchestrator; nothing global.
import { EventEmitter } from "node:events";
import type { Clock } from "../core/clock.js";
import type { EventInput, TenantEvent } from "./tenant-event.js";
import { toTenantEvent } from "./tenant-event.js";

export type EventListener = (tenantId: string, event: TenantEvent) => void;

export class EventBus<R> {
  #route: (tenantId: string, event: TenantEvent) => Promise<R>;
  #clock: Clock;
  #emitter = new EventEmitter<{ event: [string, TenantEvent] }>();

  constructor(route: (tenantId: string, event: TenantEvent) => Promise<R>, clock: Clock) {
    this.#route = route;
    this.#clock = clock;
    this.#emitter.setMaxListeners(0);
  }

  /** Checks the event (ValidationError with paths), routes it, then notifies subscribers. */
  async publish(tenantId: string, input: EventInput, source = "bus"): Promise<{ event: TenantEvent; result: R }> {
    const event = toTenantEvent(input, source, this.#clock.now());
    const result = await this.#route(tenantId, event);
    this.#emitter.emit("event", tenantId, event);
    return { event, result };
  }

  /** Calls `listener` after each routed event; returns the unsubscribe function. */
  subscribe(listener: EventListener): () => void {
    const safe: EventListener = (tenantId, event) => {
      // A listener's bug must not break publishing for everyone else.
      try {
        listener(tenantId, event);
      } catch {
        /* ignored on purpose */
      }
    };
    this.#emitter.on("event", safe);
    return () => this.#emitter.off("event", safe);
  }
}
