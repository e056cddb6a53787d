import net from 'node:net';

/**
 * Special-purpose address ranges that a webhook must not reach unless WEBHOOK_ALLOW_PRIVATE=true: a webhook URL is
 * chosen by a client, and a server that POSTs wherever it is told is a way into the network it runs in (SSRF). The
 * first matching range names the kind. Every range of IANA's IPv4 and IPv6 special-purpose address registries (RFC
 * 6890 and successors) is here, itself or within a wider range, and from the address-space registries multicast, the reserved 240/4,
 * IPv6 site-local, IPv4-compatible and IPv4-translated (`::ffff:0:a.b.c.d`, RFC 2765): test/unit/webhookRules.test.ts
 * lists them all and holds this table to them.
 */
const IPV4_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['0.0.0.0', 8, 'unspecified, "this network"'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'CGNAT shared space'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignment'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.31.196.0', 24, 'AS112'],
  ['192.52.193.0', 24, 'AMT'],
  ['192.88.99.0', 24, '6to4 relay anycast'],
  ['192.168.0.0', 16, 'private'],
  ['192.175.48.0', 24, 'AS112'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved or broadcast'],
];

const IPV6_RANGES: ReadonlyArray<readonly [string, number, string]> = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['::ffff:0:0:0', 96, 'IPv4-translated'],
  ['::', 96, 'IPv4-compatible, deprecated'],
  ['64:ff9b::', 96, 'NAT64'],
  ['64:ff9b:1::', 48, 'local-use NAT64'],
  ['100::', 64, 'discard-only'],
  ['100:0:0:1::', 64, 'dummy prefix'],
  ['2001:db8::', 32, 'documentation'],
  ['2001::', 23, 'IETF protocol assignment: Teredo, benchmarking, ORCHID'],
  ['2002::', 16, '6to4'],
  ['2620:4f:8000::', 48, 'AS112'],
  ['3fff::', 20, 'documentation'],
  ['5f00::', 16, 'SRv6 segment routing'],
  ['fc00::', 7, 'unique local, ULA'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local, deprecated'],
  ['ff00::', 8, 'multicast'],
];

function ipv4Bits(address: string): bigint {
  return address.split('.').reduce((bits, part) => (bits << 8n) | BigInt(Number(part)), 0n);
}

/** The 128 bits of an IPv6 address in any textual form (`::`, an embedded dotted IPv4 tail, a `%zone`). */
function ipv6Bits(address: string): bigint {
  let text = address.split('%')[0] ?? '';
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (tail?.[1]) {
    const v4 = ipv4Bits(tail[1]);
    text = `${text.slice(0, -tail[1].length)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::') as [string, string | undefined];
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const groups = rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((bits, group) => (bits << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

function within(bits: bigint, width: number, base: bigint, prefix: number): boolean {
  const shift = BigInt(width - prefix);
  return bits >> shift === base >> shift;
}

const V4 = IPV4_RANGES.map(([base, prefix, kind]) => ({ base: ipv4Bits(base), prefix, kind }));
const V6 = IPV6_RANGES.map(([base, prefix, kind]) => ({ base: ipv6Bits(base), prefix, kind }));

/**
 * The kind of special-purpose range `address` (an IP literal) is in, such as "loopback" or "private", or null for
 * a public unicast address. Anything that is not an IP address is treated as special ("not an IP address").
 */
export function specialPurpose(address: string): string | null {
  const family = net.isIP(address.split('%')[0] ?? '');
  if (family === 4) {
    const bits = ipv4Bits(address);
    return V4.find((range) => within(bits, 32, range.base, range.prefix))?.kind ?? null;
  }
  if (family === 6) {
    const bits = ipv6Bits(address);
    return V6.find((range) => within(bits, 128, range.base, range.prefix))?.kind ?? null;
  }
  return 'not an IP address';
}
