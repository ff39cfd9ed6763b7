// The address ranges outbound connections refuse unless a policy allows them (internal networks,
// loopback, metadata services), and the reading of IPv6 forms that carry an IPv4 address inside.
import ipaddr from "ipaddr.js";

export type IPAddress = ipaddr.IPv4 | ipaddr.IPv6;

/** A range refused by default, with the words an error uses for it. */
export interface RefusedRange {
  readonly cidr: string;
  readonly reason: string;
  /** Cloud metadata services: only an allow rule naming the address itself lifts the refusal. */
  readonly metadata?: boolean;
}

/** Order matters: the first range that holds an address names it (metadata before link-local). */
export const DEFAULT_REFUSED_RANGES: readonly RefusedRange[] = [
  { cidr: "169.254.169.254/32", reason: "cloud metadata address", metadata: true },
  { cidr: "fd00:ec2::254/128", reason: "cloud metadata address", metadata: true },
  { cidr: "0.0.0.0/8", reason: "unspecified address" },
  { cidr: "127.0.0.0/8", reason: "loopback address" },
  { cidr: "10.0.0.0/8", reason: "private address (RFC 1918)" },
  { cidr: "172.16.0.0/12", reason: "private address (RFC 1918)" },
  { cidr: "192.168.0.0/16", reason: "private address (RFC 1918)" },
  { cidr: "100.64.0.0/10", reason: "carrier-grade NAT address (RFC 6598)" },
  { cidr: "169.254.0.0/16", reason: "link-local address" },
  { cidr: "224.0.0.0/4", reason: "multicast address" },
  { cidr: "240.0.0.0/4", reason: "reserved address (includes broadcast)" },
  { cidr: "::/128", reason: "unspecified address" },
  { cidr: "::1/128", reason: "loopback address" },
  { cidr: "fc00::/7", reason: "private address (unique local, fc00::/7)" },
  { cidr: "fe80::/10", reason: "link-local address" },
  { cidr: "fec0::/10", reason: "site-local address" },
  { cidr: "ff00::/8", reason: "multicast address" },
];

interface ParsedRange extends RefusedRange {
  readonly range: [IPAddress, number];
}

const PARSED_RANGES: readonly ParsedRange[] = DEFAULT_REFUSED_RANGES.map((r) => ({ ...r, range: ipaddr.parseCIDR(r.cidr) }));

/** Whether `address` lies in `range`; addresses of the other family never match. */
export function inRange(address: IPAddress, range: [IPAddress, number]): boolean {
  return address.kind() === range[0].kind() && address.match(range);
}

/** The default range that refuses `address`, if any. */
export function refusedRangeOf(address: IPAddress): RefusedRange | undefined {
  return PARSED_RANGES.find((r) => inRange(address, r.range));
}

/** IPv6 prefixes whose last 32 bits (or, for 6to4, bits 16-47) are an IPv4 address the packet reaches. */
const EMBEDDING: ReadonlyArray<{ range: [IPAddress, number]; name: string; offset: number }> = [
  { range: ipaddr.parseCIDR("::ffff:0:0/96"), name: "IPv4-mapped", offset: 12 },
  { range: ipaddr.parseCIDR("::ffff:0:0:0/96"), name: "IPv4-translated", offset: 12 },
  { range: ipaddr.parseCIDR("64:ff9b::/96"), name: "NAT64", offset: 12 },
  { range: ipaddr.parseCIDR("64:ff9b:1::/48"), name: "NAT64 (local-use)", offset: 12 },
  { range: ipaddr.parseCIDR("2002::/16"), name: "6to4", offset: 2 },
  // IPv4-compatible (deprecated): `::a.b.c.d`; `::` and `::1` are matched as themselves first.
  { range: ipaddr.parseCIDR("::/96"), name: "IPv4-compatible", offset: 12 },
];

/** The IPv4 address an IPv6 address carries (mapped, NAT64, 6to4, compatible), with the form's name. */
export function embeddedIPv4(address: IPAddress): { ipv4: ipaddr.IPv4; form: string } | undefined {
  if (address.kind() !== "ipv6") return undefined;
  const bytes = address.toByteArray();
  for (const embedding of EMBEDDING) {
    if (!inRange(address, embedding.range)) continue;
    const octets = bytes.slice(embedding.offset, embedding.offset + 4);
    // `::` and `::1` are themselves, not the IPv4 addresses 0.0.0.0 and 0.0.0.1.
    if (embedding.name === "IPv4-compatible" && octets.slice(0, 3).every((b) => b === 0) && (octets[3] ?? 0) <= 1) return undefined;
    return { ipv4: new ipaddr.IPv4(octets), form: embedding.name };
  }
  return undefined;
}

/** Parses an IP literal (IPv6 with or without brackets); undefined when `text` is not one. */
export function parseIPLiteral(text: string): IPAddress | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  // ipaddr.isValid accepts forms such as "0x7f.1"; only the strict four-part and IPv6 forms are literals here.
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare);
  return undefined;
}

/** Parses `10.0.0.0/8`, `fc00::/7`, or a bare address (a /32 or /128). */
export function parseCidr(text: string): [IPAddress, number] | undefined {
  if (text.includes("/")) {
    try {
      const [address, bits] = ipaddr.parseCIDR(text);
      // A CIDR with host bits set (10.0.0.1/8) is almost always a typo of the network meant.
      const network = address.kind() === "ipv4" ? ipaddr.IPv4.networkAddressFromCIDR(text) : ipaddr.IPv6.networkAddressFromCIDR(text);
      if (network.toString() !== address.toString()) return undefined;
      return [address, bits];
    } catch {
      return undefined;
    }
  }
  const address = parseIPLiteral(text);
  if (!address) return undefined;
  return [address, address.kind() === "ipv4" ? 32 : 128];
}
