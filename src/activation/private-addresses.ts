import { BlockList, isIP } from "node:net";

/**
 * Addresses a webhook must not reach unless its destination was added with `--allow-private` (a guard against
 * server-side request forgery, as the Standard Webhooks specification asks): loopback, private networks, link-local
 * (cloud metadata services live at 169.254.169.254), shared address space, multicast, reserved and documentation
 * ranges, in IPv4 and IPv6 — and IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) by the address they carry.
 */

const V4: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8], // "this network"
  ["10.0.0.0", 8], // private
  ["100.64.0.0", 10], // shared address space (carrier-grade NAT)
  ["127.0.0.0", 8], // loopback
  ["169.254.0.0", 16], // link-local (cloud metadata)
  ["172.16.0.0", 12], // private
  ["192.0.0.0", 24], // IETF protocol assignments
  ["192.0.2.0", 24], // documentation
  ["192.88.99.0", 24], // 6to4 relay anycast
  ["192.168.0.0", 16], // private
  ["198.18.0.0", 15], // benchmarking
  ["198.51.100.0", 24], // documentation
  ["203.0.113.0", 24], // documentation
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and the broadcast address
];

const V6: readonly (readonly [string, number])[] = [
  ["::", 128], // unspecified
  ["::1", 128], // loopback
  ["64:ff9b:1::", 48], // local-use NAT64
  ["100::", 64], // discard
  ["2001:db8::", 32], // documentation
  ["fc00::", 7], // unique local
  ["fe80::", 10], // link-local
  ["fec0::", 10], // site-local (deprecated)
  ["ff00::", 8], // multicast
];

const BLOCKED = new BlockList();
for (const [a, p] of V4) BLOCKED.addSubnet(a, p, "ipv4");
for (const [a, p] of V6) BLOCKED.addSubnet(a, p, "ipv6");

/** The 8 groups of an IPv6 address as numbers (`::` expanded, a trailing dotted IPv4 read as two groups). */
function groups(address: string): number[] {
  let a = address.toLowerCase().replace(/%.*$/, "");
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (dotted) {
    const [b0, b1, b2, b3] = dotted.slice(1).map(Number) as [number, number, number, number];
    a = `${a.slice(0, dotted.index)}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head = "", tail] = a.split("::");
  const h = head ? head.split(":") : [];
  const t = tail === undefined ? [] : tail ? tail.split(":") : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => Number.parseInt(g, 16));
}

/** The IPv4 address an IPv6 one carries (IPv4-mapped, NAT64's well-known prefix, 6to4), if any. */
function embeddedV4(address: string): string | null {
  const g = groups(address);
  const v4 = (hi: number, lo: number) => `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  const zero = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  // ::ffff:a.b.c.d (mapped) and ::a.b.c.d (the deprecated compatible form).
  if (zero(0, 5) && (g[5] === 0xffff || (g[5] === 0 && !zero(6, 8))))
    return v4(g[6] as number, g[7] as number);
  // 64:ff9b::a.b.c.d (NAT64's well-known prefix).
  if (g[0] === 0x64 && g[1] === 0xff9b && zero(2, 6)) return v4(g[6] as number, g[7] as number);
  // 2002:AABB:CCDD::/48 (6to4).
  if (g[0] === 0x2002) return v4(g[1] as number, g[2] as number);
  return null;
}

/**
 * Whether an IP address (v4 or v6, as text) is one a destination without `--allow-private` must not reach. Text
 * that is not an IP address is not private (the caller resolves host names first).
 */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, "");
  const family = isIP(bare.replace(/%.*$/, ""));
  if (family === 4) return BLOCKED.check(bare, "ipv4");
  if (family !== 6) return false;
  const plain = bare.replace(/%.*$/, "");
  const carried = embeddedV4(plain);
  if (carried !== null) return BLOCKED.check(carried, "ipv4");
  return BLOCKED.check(plain, "ipv6");
}
