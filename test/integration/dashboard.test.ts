import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_CSP, handler as dashboard } from '../../functions/dashboard';
import { handler as dashboardScript } from '../../functions/dashboardScript';
import { apiEvent, lambdaContext } from '../helpers/events';

// The page and its script as the functions serve them (the browser test, test/browser/, drives them for real).

async function get(handler: typeof dashboard) {
  const res = await handler(apiEvent({ path: '/' }), lambdaContext());
  return { status: res.statusCode, headers: res.headers ?? {}, body: String(res.body) };
}

describe('the dashboard page', () => {
  it('is served at GET /, as HTML under a CSP that allows no inline script', async () => {
    expect([dashboard.contract.method, dashboard.contract.path]).toEqual(['GET', '/']);
    const res = await get(dashboard);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("script-src 'self';");
    expect(DASHBOARD_CSP).not.toContain('unsafe-inline');
    expect(res.headers['x-frame-options']).toBe('DENY');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toMatch(/^<!doctype html>/);
  });

  it('inlines only the stylesheet the CSP names by hash, and loads the script it serves, with its integrity hash', async () => {
    const page = (await get(dashboard)).body;
    const styles = [...page.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(styles).toHaveLength(1);
    const styleHash = createHash('sha256').update(styles[0]!).digest('base64');
    expect(DASHBOARD_CSP).toContain(`style-src 'sha256-${styleHash}'`);
    expect(page.match(/<script\b/g)).toHaveLength(1);

    const script = await get(dashboardScript);
    expect([dashboardScript.contract.method, dashboardScript.contract.path]).toEqual(['GET', '/dashboard.js']);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(script.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const digest = createHash('sha256').update(script.body).digest();
    const [, src, integrity] = /<script src="([^"]+)" integrity="([^"]+)" defer><\/script>/.exec(page)!;
    expect(src).toBe(`dashboard.js?v=${digest.toString('hex').slice(0, 16)}`);
    expect(integrity).toBe(`sha256-${digest.toString('base64')}`);
  });
});
