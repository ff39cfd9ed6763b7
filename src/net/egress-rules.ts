// An egress policy (`allow` / `deny` lists of hosts and CIDRs) compiled into the decision made for
// each connection: on the host name before it is resolved, and on every address it resolves to.
import { ConfigError } from "../core/errors.js";
import { EgressDeniedError } from "./egress-denied-error.js";
import type { IPAddress } from "./ip-ranges.js";
import { embeddedIPv4, inRange, parseCidr, parseIPLiteral, refusedRangeOf } from "./ip-ranges.js";

/**
 * Where a tenant's steps may connect. Entries are host names (`api.example.com`, or `*.example.com`
 * for any name below it, not the name itself), IP addresses (`10.1.2.3`, `::1`) and CIDRs
 * (`10.0.0.0/8`, `fd00::/8`).
 *
 * - `deny` wins: a host or address it names is never reached.
 * - Internal addresses (loopback, private, link-local, CGNAT, unspecified, multicast, reserved) are
 *   refused unless an `allow` entry names the host or covers the address.
 * - Cloud metadata addresses (169.254.169.254, fd00:ec2::254) are refused unless an `allow` entry
 *   is that address itself: a broad CIDR or a host name does not open them.
 * - `deny: ["*"]` turns `allow` into an allow-list: anything no allow entry names is refused.
 * - Anything else (public addresses) may be reached.
 */
export interface EgressPolicy {
  allow?: readonly string[];
  deny?: readonly string[];
}

type Rule =
  | { readonly kind: "host"; readonly text: string; readonly name: string; readonly wildcard: boolean }
  | { readonly kind: "cidr"; readonly text: string; readonly range: [IPAddress, number] }
  | { readonly kind: "any"; readonly text: string };

const HOST_PATTERN = /^(\*\.)?[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?)*$/;

/** Lower case, no trailing dot, no IPv6 brackets: the form rules compare. */
export function normalizeHost(host: string): string {
  let name = host.trim().toLowerCase();
  if (name.startsWith("[") && name.endsWith("]")) name = name.slice(1, -1);
  if (name.endsWith(".")) name = name.slice(0, -1);
  return name;
}

function compileRule(entry: unknown, path: string, list: "allow" | "deny"): Rule {
  if (typeof entry !== "string" || entry.trim() === "") throw new ConfigError(path, "must be a host name, an IP address or a CIDR");
  const text = entry.trim();
  if (text === "*") {
    if (list === "allow") throw new ConfigError(path, '"*" may only be a deny entry (deny: ["*"] refuses everything not allowed); to allow every address, allow 0.0.0.0/0 and ::/0');
    return { kind: "any", text };
  }
  if (/^[0-9a-f:.[\]/]+$/i.test(text) && (text.includes(":") || text.includes("/") || /^[0-9.]+$/.test(text))) {
    const range = parseCidr(text);
    if (!range) throw new ConfigError(path, `${JSON.stringify(text)} is not an IP address or a CIDR with its host bits zero (such as 10.0.0.0/8 or fd00::/8)`);
    return { kind: "cidr", text, range };
  }
  const name = normalizeHost(text);
  if (!HOST_PATTERN.test(name)) {
    throw new ConfigError(path, `${JSON.stringify(text)} is not a host name, "*.domain" pattern, IP address or CIDR (no scheme, port or path)`);
  }
  const wildcard = name.startsWith("*.");
  return { kind: "host", text, name: wildcard ? name.slice(2) : name, wildcard };
}

function compileList(entries: unknown, path: string, list: "allow" | "deny"): Rule[] {
  if (entries === undefined || entries === null) return [];
  if (!Array.isArray(entries)) throw new ConfigError(path, "must be a list of host names, IP addresses and CIDRs");
  return entries.map((entry, index) => compileRule(entry, `${path}[${index}]`, list));
}

function hostMatches(rule: Rule, host: string): boolean {
  if (rule.kind !== "host") return false;
  return rule.wildcard ? host.endsWith(`.${rule.name}`) : host === rule.name;
}

function addressMatches(rule: Rule, addresses: readonly IPAddress[]): boolean {
  return rule.kind === "cidr" && addresses.some((a) => inRange(a, rule.range));
}

/** True when `rule` names exactly this one address (a bare address, /32 or /128). */
function namesExactly(rule: Rule, address: IPAddress): boolean {
  if (rule.kind !== "cidr") return false;
  const [base, bits] = rule.range;
  return bits === (base.kind() === "ipv4" ? 32 : 128) && base.kind() === address.kind() && base.toString() === address.toString();
}

const compiled = new WeakMap<EgressPolicy, EgressRules>();

export class EgressRules {
  readonly #allow: readonly Rule[];
  readonly #deny: readonly Rule[];
  readonly #denyAll: boolean;

  private constructor(allow: Rule[], deny: Rule[]) {
    this.#allow = allow;
    this.#deny = deny.filter((r) => r.kind !== "any");
    this.#denyAll = deny.some((r) => r.kind === "any");
  }

  /** Compiles (once per policy object) and checks every entry; a bad entry is a ConfigError at `path.allow[i]`. */
  static compile(policy: EgressPolicy = {}, path = "egress"): EgressRules {
    const cached = compiled.get(policy);
    if (cached) return cached;
    if (typeof policy !== "object" || policy === null) throw new ConfigError(path, "must be an object { allow?, deny? }");
    const rules = new EgressRules(compileList(policy.allow, `${path}.allow`, "allow"), compileList(policy.deny, `${path}.deny`, "deny"));
    compiled.set(policy, rules);
    return rules;
  }

  /** The check made before a name is resolved: deny rules by name (so a denied name is not even looked up). */
  checkHost(host: string): void {
    const name = normalizeHost(host);
    if (parseIPLiteral(name)) return;
    const rule = this.#deny.find((r) => hostMatches(r, name));
    if (rule) throw new EgressDeniedError(name, undefined, `denied by rule ${JSON.stringify(rule.text)}`);
  }

  /** The check made on each address a connection would use; throws EgressDeniedError. */
  checkAddress(host: string, address: string): void {
    const name = normalizeHost(host);
    const literal = parseIPLiteral(name) !== undefined;
    const parsed = parseIPLiteral(address);
    if (!parsed) throw new EgressDeniedError(name, address, "the address is not an IP address");
    const embedded = embeddedIPv4(parsed);
    // An IPv4-mapped address is the IPv4 address itself (`::ffff:127.0.0.1` is 127.0.0.1).
    const primary = embedded?.form === "IPv4-mapped" ? embedded.ipv4 : parsed;
    const shown = primary.toString();
    const forms = embedded && primary !== embedded.ipv4 ? [primary, embedded.ipv4] : [primary];

    const hostDeny = literal ? undefined : this.#deny.find((r) => hostMatches(r, name));
    const deny = hostDeny ?? this.#deny.find((r) => addressMatches(r, forms));
    if (deny) throw new EgressDeniedError(name, shown, `denied by rule ${JSON.stringify(deny.text)}`);

    const allowedBy = this.#allow.find((r) => addressMatches(r, forms)) ?? (literal ? undefined : this.#allow.find((r) => hostMatches(r, name)));
    for (const form of forms) {
      const refused = refusedRangeOf(form);
      if (!refused) continue;
      const via = form === primary ? "" : ` (carried in the ${embedded?.form} address ${parsed.toString()})`;
      if (refused.metadata) {
        if (this.#allow.some((r) => namesExactly(r, form))) continue;
        throw new EgressDeniedError(name, shown, `${refused.reason} ${form.toString()}${via} is refused by default; only an allow entry naming this address itself opens it`);
      }
      if (allowedBy) continue;
      throw new EgressDeniedError(name, shown, `${refused.reason} (${refused.cidr})${via} is refused by default; add an allow entry for the host or the address to reach it`);
    }
    if (this.#denyAll && !allowedBy) throw new EgressDeniedError(name, shown, 'no allow entry names it and the policy denies everything else (deny: ["*"])');
  }
}
