import { http } from '../lib/http';
import { site } from '../schemas/contracts/site';
import assets from '../web/dist/assets.json';

/**
 * What the page may do, and no more: its own script (/dashboard.js), its one inline stylesheet (by hash), calls
 * to this API, images from here or data: URLs. No inline script runs, so nothing that slips into the page from
 * release notes can execute even if the sanitiser missed it; no form posts anywhere; no framing.
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'sha256-${assets.styleSha256}'`,
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** GET /: the release dashboard, a page that uses only the public API with the user's token. */
export const handler = http(site.dashboard, async () => ({
  status: 200,
  text: assets.html,
  headers: { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DASHBOARD_CSP },
}));
