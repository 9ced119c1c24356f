// Which IP addresses URL ingest may connect to. Fails closed: anything that is not a well-formed, publicly
// routable unicast address (or an IPv6 form that embeds one) is forbidden.
import { isIPv4, isIPv6 } from 'node:net';

/** [network, prefix length] pairs of IPv4 special-purpose ranges that must never be fetched from. */
const FORBIDDEN_V4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network", incl. the unspecified address
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT (also Alibaba Cloud metadata 100.100.100.200)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. cloud metadata 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. broadcast 255.255.255.255
];

function v4ToInt(ip: string): number {
  const p = ip.split('.').map(Number);
  return ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
}

const FORBIDDEN_V4_MASKS = FORBIDDEN_V4.map(([net, bits]) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { net: (v4ToInt(net) & mask) >>> 0, mask };
});

function isForbiddenV4Int(n: number): boolean {
  return FORBIDDEN_V4_MASKS.some(({ net, mask }) => (n & mask) >>> 0 === net);
}

/** Parses an IPv6 address (optionally with a dotted IPv4 tail and a zone id) into eight 16-bit groups. */
function parseV6(ip: string): number[] | null {
  const zone = ip.indexOf('%');
  const addr = zone >= 0 ? ip.slice(0, zone) : ip;
  if (!isIPv6(addr)) return null;
  let text = addr;
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // dotted IPv4 tail (::ffff:1.2.3.4): rewrite as two hex groups
    if (!isIPv4(last)) return null;
    const n = v4ToInt(last);
    text = `${text.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const parseList = (s: string): number[] =>
    s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16));
  let groups: number[];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    const head = parseList(text.slice(0, dbl));
    const rest = parseList(text.slice(dbl + 2));
    const fill = 8 - head.length - rest.length;
    if (fill < 0) return null;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else {
    groups = parseList(text);
  }
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  return groups;
}

function isForbiddenV6(g: number[]): boolean {
  const v4At = (i: number) => ((g[i]! << 16) | g[i + 1]!) >>> 0;
  // ::/80 prefix: unspecified, loopback, IPv4-compatible (deprecated) and IPv4-mapped
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0) {
    if (g[5] === 0xffff) return isForbiddenV4Int(v4At(6)); // ::ffff:a.b.c.d
    return true;
  }
  // NAT64 well-known prefix 64:ff9b::/96 embeds an IPv4 address in its last 32 bits
  if (g[0] === 0x64 && g[1] === 0xff9b && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0) {
    return isForbiddenV4Int(v4At(6));
  }
  // Everything outside global unicast 2000::/3 is special: ULA fc00::/7, link-local fe80::/10, site-local
  // fec0::/10, multicast ff00::/8, discard 100::/64, local-use NAT64 64:ff9b:1::/48, SRv6 5f00::/16, ...
  if ((g[0]! & 0xe000) !== 0x2000) return true;
  if (g[0] === 0x2001 && g[1]! < 0x0200) return true; // 2001::/23 IETF assignments, incl. Teredo 2001::/32
  if (g[0] === 0x2001 && g[1] === 0x0db8) return true; // documentation
  if (g[0] === 0x3fff && g[1]! < 0x1000) return true; // documentation 3fff::/20
  if (g[0] === 0x2002) return isForbiddenV4Int(v4At(1)); // 6to4 embeds the IPv4 address in bits 16..47
  return false;
}

/**
 * True when URL ingest must not connect to `ip`: loopback, private, link-local (cloud metadata), CGNAT,
 * unspecified, multicast, reserved and documentation ranges, and IPv6 forms embedding such an IPv4 address
 * (IPv4-mapped, NAT64, 6to4). Anything that is not a canonical IPv4/IPv6 literal is forbidden too.
 */
export function isForbiddenAddress(ip: string): boolean {
  if (typeof ip !== 'string') return true;
  const s = ip.trim();
  if (isIPv4(s)) return isForbiddenV4Int(v4ToInt(s));
  const groups = parseV6(s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s);
  if (!groups) return true;
  return isForbiddenV6(groups);
}
