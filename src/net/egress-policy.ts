// Outbound HTTP under an egress policy: undici's fetch on an Agent whose connector checks the
// resolved address of every connection, with redirects followed here so each hop is checked again.
import { Agent, Headers, fetch } from "undici";
import type { Dispatcher, RequestInit, Response } from "undici";
import { NonRetryableError } from "../core/errors.js";
import { EgressDeniedError } from "./egress-denied-error.js";
import { systemLookup, egressConnector } from "./egress-connector.js";
import type { EgressLookup } from "./egress-connector.js";
import { EgressRules } from "./egress-rules.js";
import type { EgressPolicy } from "./egress-rules.js";

export { EgressDeniedError } from "./egress-denied-error.js";
export { EgressRules, normalizeHost } from "./egress-rules.js";
export type { EgressPolicy } from "./egress-rules.js";
export { allowedAddresses, systemLookup } from "./egress-connector.js";
export type { EgressLookup, ResolvedAddress } from "./egress-connector.js";
export { DEFAULT_REFUSED_RANGES } from "./ip-ranges.js";

export interface EgressFetchOptions {
  /** Redirects followed at most before the request fails; each hop is checked again. Default 5. */
  maxRedirects?: number;
  /** Resolves host names; default the system resolver. Tests and operators with their own DNS pass one. */
  lookup?: EgressLookup;
  /** Time to establish a connection (TCP and TLS), in milliseconds. Default 10 000. */
  connectTimeoutMs?: number;
  /** Where the policy came from, for the paths of its config errors. Default `egress`. */
  policyPath?: string;
}

/** A fetch whose every connection passes the policy. Close it when done: it owns a connection pool. */
export interface EgressFetch {
  (input: string | URL, init?: RequestInit): Promise<Response>;
  readonly dispatcher: Dispatcher;
  /** Waits for requests in flight, then closes the pool. */
  close(): Promise<void>;
  /** Aborts requests in flight and closes the pool. */
  destroy(): Promise<void>;
}

export const DEFAULT_MAX_REDIRECTS = 5;

const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** Headers that describe a body, dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ["content-type", "content-length", "content-encoding", "content-language", "content-location"];
/** Credentials that must not follow a redirect to another origin (the fetch standard drops Authorization too). */
const CREDENTIAL_HEADERS = ["authorization", "proxy-authorization", "cookie"];

function checkScheme(url: URL): void {
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new EgressDeniedError(url.hostname || url.href, undefined, `the scheme ${url.protocol} is not allowed; only http: and https: are`);
  }
}

/** Creates the fetch for one policy. A bad policy entry throws ConfigError at once. */
export function createEgressFetch(policy: EgressPolicy = {}, options: EgressFetchOptions = {}): EgressFetch {
  const rules = EgressRules.compile(policy, options.policyPath ?? "egress");
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const agent = new Agent({ connect: egressConnector(rules, options.lookup ?? systemLookup, { timeout: options.connectTimeoutMs ?? 10_000 }) });

  async function send(url: URL, init: RequestInit): Promise<Response> {
    checkScheme(url);
    try {
      return await fetch(url, { ...init, dispatcher: agent });
    } catch (error) {
      // undici wraps what the connector reports in `TypeError: fetch failed`; the refusal is the news.
      const cause = (error as { cause?: unknown }).cause;
      if (cause instanceof EgressDeniedError) throw cause;
      throw error;
    }
  }

  async function egressFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
    let url = new URL(input);
    if (init.redirect === "manual" || init.redirect === "error") return send(url, init);
    let method = (init.method ?? "GET").toUpperCase();
    let body = init.body;
    const headers = new Headers(init.headers);
    for (let hops = 0; ; hops++) {
      const response = await send(url, { ...init, method, headers, body, redirect: "manual" });
      const location = REDIRECT_STATUSES.has(response.status) ? response.headers.get("location") : null;
      if (location === null) return response;
      await response.body?.cancel().catch(() => {});
      if (hops >= maxRedirects) throw new NonRetryableError(`${method} ${url.href} redirected more than ${maxRedirects} times (last to ${location})`);
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        throw new NonRetryableError(`${method} ${url.href} redirected to an invalid location ${JSON.stringify(location)}`);
      }
      if ((response.status === 303 && method !== "HEAD") || ((response.status === 301 || response.status === 302) && method === "POST")) {
        method = "GET";
        body = undefined;
        for (const name of BODY_HEADERS) headers.delete(name);
      } else if (body instanceof ReadableStream) {
        throw new NonRetryableError(`${method} ${url.href} answered ${response.status} to ${next.href}, and a streamed body cannot be sent again`);
      }
      if (next.origin !== url.origin) for (const name of CREDENTIAL_HEADERS) headers.delete(name);
      url = next;
    }
  }

  return Object.assign(egressFetch, {
    dispatcher: agent,
    close: () => agent.close(),
    destroy: () => agent.destroy(),
  });
}
