// An undici connector that resolves the host itself, checks every address against the egress rules
// and connects to the address it checked, so neither DNS rebinding nor a redirect reaches a refused one.
import { lookup as dnsLookup } from "node:dns/promises";
import { buildConnector } from "undici";
import type { EgressRules } from "./egress-rules.js";
import { normalizeHost } from "./egress-rules.js";
import { parseIPLiteral } from "./ip-ranges.js";

export interface ResolvedAddress {
  address: string;
  family: number;
}

/** Resolves a host name to its addresses (default: the system resolver, `dns.lookup` with `all`). */
export type EgressLookup = (hostname: string) => Promise<readonly ResolvedAddress[]>;

export const systemLookup: EgressLookup = (hostname) => dnsLookup(hostname, { all: true });

/** The addresses to try for `host`, allowed ones only, in resolver order; throws the first refusal. */
export async function allowedAddresses(rules: EgressRules, host: string, lookup: EgressLookup): Promise<string[]> {
  const name = normalizeHost(host);
  rules.checkHost(name);
  const literal = parseIPLiteral(name);
  const candidates = literal ? [literal.toString()] : (await lookup(name)).map((r) => r.address);
  if (candidates.length === 0) throw Object.assign(new Error(`${name} did not resolve to any address`), { code: "ENOTFOUND" });
  const allowed: string[] = [];
  let firstRefusal: unknown;
  for (const address of candidates) {
    try {
      rules.checkAddress(name, address);
      allowed.push(address);
    } catch (error) {
      firstRefusal ??= error;
    }
  }
  if (allowed.length === 0) throw firstRefusal;
  return allowed;
}

/**
 * undici's own connector, told to dial the checked address instead of the name. TLS still verifies
 * the certificate for the name: undici derives the SNI servername from the original `host`.
 */
export function egressConnector(rules: EgressRules, lookup: EgressLookup, options: buildConnector.BuildOptions = {}): buildConnector.connector {
  const connect = buildConnector(options);
  return (connectOptions, callback) => {
    allowedAddresses(rules, connectOptions.hostname, lookup).then(
      ([address]) => connect({ ...connectOptions, hostname: address as string }, callback),
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
}
