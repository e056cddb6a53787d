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
    ['::ffff:8.8.8.8', 'IPv4-mapped'],
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
