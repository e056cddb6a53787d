import { describe, expect, it } from 'vitest';
import { handler as createWebhook } from '../../functions/createWebhook';
import { invoke } from '../helpers/events';
import { useWorld } from '../helpers/world';

// What a webhook may target, under the default policy (WEBHOOK_ALLOW_PRIVATE unset: this file's process never sets
// it): only public addresses. Every URL here is refused before anything is stored or sent; that a public address is
// accepted is the decision of lib/infra/addresses, checked without connecting (test/unit/webhookRules.test.ts).
const { world } = useWorld();
const SECRET = 'a-secret-of-the-receiver-0123456789';

function create(body: unknown) {
  const org = world.org.slug;
  return invoke(createWebhook, {
    path: `/api/v1/orgs/${org}/webhooks`,
    pathParameters: { org },
    body,
    token: world.releaseManager.token,
  });
}

describe('POST /orgs/{org}/webhooks under the default policy', () => {
  it.each([
    ['not a URL', 'hooks.example.com/x', 'is not a URL (send an absolute http:// or https:// URL)'],
    ['another scheme', 'ftp://203.0.113.7/x', 'has the scheme ftp; only http and https are allowed'],
    ['a file URL', 'file:///etc/passwd', 'has the scheme file; only http and https are allowed'],
    ['a fragment', 'http://203.0.113.7/x#y', 'has a #fragment, which is never sent; remove it'],
    ['loopback', 'http://127.0.0.1:8080/x', 'is refused: 127.0.0.1 is not a public address (loopback)'],
    ['a private address', 'https://10.1.2.3/x', 'is refused: 10.1.2.3 is not a public address (private)'],
    ['a private address', 'http://192.168.1.10/x', 'is refused: 192.168.1.10 is not a public address (private)'],
    [
      'link-local (cloud metadata)',
      'http://169.254.169.254/latest',
      'is refused: 169.254.169.254 is not a public address (link-local)',
    ],
    ['CGNAT', 'http://100.64.0.1/x', 'is refused: 100.64.0.1 is not a public address (CGNAT shared space)'],
    ['unspecified', 'http://0.0.0.0/x', 'is refused: 0.0.0.0 is not a public address (unspecified, "this network")'],
    ['multicast', 'http://224.0.0.1/x', 'is refused: 224.0.0.1 is not a public address (multicast)'],
    ['IPv6 loopback', 'http://[::1]/x', 'is refused: ::1 is not a public address (loopback)'],
    ['IPv6 ULA', 'http://[fd12:3456::1]/x', 'is refused: fd12:3456::1 is not a public address (unique local, ULA)'],
    ['IPv6 link-local', 'http://[fe80::1]/x', 'is refused: fe80::1 is not a public address (link-local)'],
    [
      'IPv4-mapped IPv6',
      'http://[::ffff:127.0.0.1]/x',
      'is refused: ::ffff:7f00:1 is not a public address (IPv4-mapped)',
    ],
    ['a decimal IPv4', 'http://2130706433/x', 'is refused: 127.0.0.1 is not a public address (loopback)'],
    ['localhost', 'http://localhost:3000/x', 'is refused: localhost ('],
  ])('refuses %s with a 422 that says why (%s)', async (_, url, why) => {
    const res = await create({ url, secret: SECRET });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body.errors).toEqual([{ path: '/body/url', message: expect.stringContaining(why) }]);
    expect(res.body.detail).toContain(why);
  });
});
