import { describe, expect, it } from 'vitest';
import { backoffMs, signature } from '../../lib/domain/deliveries';
import { specialPurpose } from '../../lib/infra/addresses';
import { ConfigError, readConfig } from '../../lib/infra/config';

describe('specialPurpose', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.0.1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['100.64.0.1', 'CGNAT shared space'],
    ['0.0.0.0', 'unspecified, "this network"'],
    ['224.0.0.251', 'multicast'],
    ['255.255.255.255', 'reserved or broadcast'],
    ['198.18.0.1', 'benchmarking'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'IPv4-mapped'],
    ['::ffff:198.51.100.1', 'IPv4-mapped'],
    ['::ffff:7f00:1', 'IPv4-mapped'],
    ['64:ff9b::a00:1', 'NAT64'],
    ['2002:7f00:1::', '6to4'],
    ['2001:db8::1', 'documentation'],
    ['fd00::1', 'unique local, ULA'],
    ['fc00::1', 'unique local, ULA'],
    ['fe80::1%eth0', 'link-local'],
    ['ff02::1', 'multicast'],
    ['example.com', 'not an IP address'],
  ])('classes %s as %s', (address, kind) => {
    expect(specialPurpose(address)).toBe(kind);
  });

  // every range of IANA's IPv4 and IPv6 special-purpose address registries (and multicast, site-local, IPv4-compatible
  // and IPv4-translated from the address-space registries), written out here as the registries list them: the first and
  // the last address of each must be refused
  const IPV4_REGISTRY = [
    '0.0.0.0/8',
    '0.0.0.0/32',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '172.16.0.0/12',
    '192.0.0.0/24',
    '192.0.0.0/29',
    '192.0.0.8/32',
    '192.0.0.9/32',
    '192.0.0.10/32',
    '192.0.0.170/32',
    '192.0.0.171/32',
    '192.0.2.0/24',
    '192.31.196.0/24',
    '192.52.193.0/24',
    '192.88.99.0/24',
    '192.168.0.0/16',
    '192.175.48.0/24',
    '198.18.0.0/15',
    '198.51.100.0/24',
    '203.0.113.0/24',
    '224.0.0.0/4',
    '240.0.0.0/4',
    '255.255.255.255/32',
  ];
  const IPV6_REGISTRY = [
    '::1/128',
    '::/128',
    '::ffff:0:0/96',
    '::ffff:0:0:0/96',
    '::/96',
    '64:ff9b::/96',
    '64:ff9b:1::/48',
    '100::/64',
    '100:0:0:1::/64',
    '2001::/23',
    '2001::/32',
    '2001:1::1/128',
    '2001:1::2/128',
    '2001:1::3/128',
    '2001:2::/48',
    '2001:3::/32',
    '2001:4:112::/48',
    '2001:10::/28',
    '2001:20::/28',
    '2001:30::/28',
    '2001:db8::/32',
    '2002::/16',
    '2620:4f:8000::/48',
    '3fff::/20',
    '5f00::/16',
    'fc00::/7',
    'fe80::/10',
    'fec0::/10',
    'ff00::/8',
  ];
  /** The first and the last address of `cidr`, written out in full. */
  function ends(cidr: string): [string, string] {
    const [base = '', prefix = ''] = cidr.split('/');
    const v6 = base.includes(':');
    const width = v6 ? 128 : 32;
    let bits = 0n;
    if (v6) {
      const [head = '', tail = ''] = base.split('::');
      const left = head ? head.split(':') : [];
      const right = base.includes('::') ? (tail ? tail.split(':') : []) : [];
      const groups = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
      for (const group of groups) bits = (bits << 16n) | BigInt(Number.parseInt(group, 16));
    } else for (const part of base.split('.')) bits = (bits << 8n) | BigInt(Number(part));
    const host = (1n << BigInt(width - Number(prefix))) - 1n;
    const write = (value: bigint) =>
      v6
        ? Array.from({ length: 8 }, (_, i) => ((value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':')
        : Array.from({ length: 4 }, (_, i) => ((value >> BigInt(24 - 8 * i)) & 0xffn).toString()).join('.');
    return [write(bits & ~host), write(bits | host)];
  }

  it.each([...IPV4_REGISTRY, ...IPV6_REGISTRY])('refuses the first and the last address of %s', (cidr) => {
    const [first, last] = ends(cidr);
    expect([first, specialPurpose(first)]).toEqual([first, expect.any(String)]);
    expect([last, specialPurpose(last)]).toEqual([last, expect.any(String)]);
  });

  it.each([
    ['::ffff:0:7f00:1', 'IPv4-translated'],
    ['::ffff:0:8.8.8.8', 'IPv4-translated'],
    ['192.31.196.1', 'AS112'],
    ['192.175.48.1', 'AS112'],
    ['192.52.193.1', 'AMT'],
    ['2620:4f:8000::1', 'AS112'],
    ['100:0:0:1::1', 'dummy prefix'],
    ['192.0.0.8', 'IETF protocol assignment'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.1', 'documentation'],
    ['203.0.113.1', 'documentation'],
    ['192.88.99.1', '6to4 relay anycast'],
    ['::1.2.3.4', 'IPv4-compatible, deprecated'],
    // an embedded IPv4 tail is two groups of the address: this one is ::1:1, not the loopback ::1
    ['::0.1.0.1', 'IPv4-compatible, deprecated'],
    ['::0.10.0.1', 'IPv4-compatible, deprecated'],
    ['::0.0.10.1', 'IPv4-compatible, deprecated'],
    ['::0.0.0.10', 'IPv4-compatible, deprecated'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['100::1', 'discard-only'],
    ['2001::1', 'IETF protocol assignment: Teredo, benchmarking, ORCHID'],
    ['3fff::1', 'documentation'],
    ['5f00::1', 'SRv6 segment routing'],
    ['fec0::1', 'site-local, deprecated'],
  ])('names %s %s', (address, kind) => {
    expect(specialPurpose(address)).toBe(kind);
  });

  it.each(['8.8.8.8', '93.184.215.14', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])(
    'finds %s public',
    (address) => {
      expect(specialPurpose(address)).toBeNull();
    },
  );
});

describe('signature', () => {
  // the example of GitHub's documentation, "Validating webhook deliveries": secret, payload and expected header
  it("matches GitHub's documented example of X-Hub-Signature-256", () => {
    expect(signature("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });
});

describe('backoffMs', () => {
  it('doubles from the base, with a jitter factor between 0.5 and 1', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 0))).toEqual([500, 1000, 2000, 4000]);
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 1000, 0.999999))).toEqual([1000, 2000, 4000, 8000]);
  });

  it('stops growing at 128 times the base', () => {
    expect(backoffMs(8, 1000, 0.999999)).toBe(128_000);
    expect(backoffMs(40, 1000, 0.999999)).toBe(128_000);
  });
});

describe('webhook configuration', () => {
  it('defaults to a 10 s timeout, retries from 30 s, 10 webhooks at once, public addresses only, delivering', () => {
    expect(readConfig({})).toMatchObject({
      webhookTimeoutMs: 10_000,
      webhookRetryBaseMs: 30_000,
      webhookConcurrency: 10,
      webhookAllowPrivate: false,
      webhookDeliverer: true,
    });
    expect(readConfig({ WEBHOOK_DELIVERER: 'false' }).webhookDeliverer).toBe(false);
    expect(readConfig({ WEBHOOK_ALLOW_PRIVATE: 'true' }).webhookAllowPrivate).toBe(true);
  });

  it.each([
    ['WEBHOOK_ALLOW_PRIVATE', 'yes'],
    ['WEBHOOK_DELIVERER', 'off'],
    ['WEBHOOK_TIMEOUT_MS', '0'],
    ['WEBHOOK_RETRY_BASE_MS', 'soon'],
    ['WEBHOOK_CONCURRENCY', '0'],
  ])('refuses %s=%s naming the variable', (name, value) => {
    expect(() => readConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => readConfig({ [name]: value })).toThrow(new RegExp(`^${name} must be`));
  });
});
