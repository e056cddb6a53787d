import { http } from '../lib/http';
import { site } from '../schemas/contracts/site';
import assets from '../web/dist/assets.json';

/**
 * GET /dashboard.js: the dashboard's script, bundled at build time (scripts/buildWeb.ts). The page asks for it
 * under a URL that changes with its content, so a browser may keep it for good.
 */
export const handler = http(site.dashboardScript, async () => ({
  status: 200,
  text: assets.js,
  headers: {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=31536000, immutable',
  },
}));
