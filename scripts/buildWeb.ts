import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Bundles the dashboard (web/) into web/dist/assets.json, which functions/dashboard.ts and
 * functions/dashboardScript.ts import, so serverless-esbuild puts the page into their bundles: no CDN, no files
 * read at run time. The stylesheet is inlined and allowed by its hash; the script is served at /dashboard.js,
 * under a URL that changes with its content (so it can be cached for good) and with its integrity hash.
 * Run by npm ci's prepare step; run it again after changing web/: `npx tsx scripts/buildWeb.ts`.
 */
const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const web = path.join(root, 'web');

function text(result: Awaited<ReturnType<typeof build>>): string {
  const file = result.outputFiles?.[0];
  if (!file) throw new Error('esbuild produced no output');
  return file.text;
}

const js = text(
  await build({
    entryPoints: [path.join(web, 'src', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    // the licences of marked and DOMPurify stay with their code
    legalComments: 'eof',
    write: false,
    logLevel: 'warning',
  }),
);
const css = text(
  await build({
    entryPoints: [path.join(web, 'src', 'style.css')],
    bundle: true,
    minify: true,
    write: false,
    logLevel: 'warning',
  }),
).trim();

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();
const scriptDigest = sha256(js);
const styleSha256 = sha256(css).toString('base64');
// relative, so the page also works behind a proxy that serves the API under a path prefix
const scriptUrl = `dashboard.js?v=${scriptDigest.toString('hex').slice(0, 16)}`;

const template = fs.readFileSync(path.join(web, 'index.html'), 'utf8');
if (!template.includes('<!--style-->') || !template.includes('<!--script-->')) {
  throw new Error('web/index.html must hold the <!--style--> and <!--script--> placeholders');
}
const html = template
  .replace('<!--style-->', () => `<style>${css}</style>`)
  .replace(
    '<!--script-->',
    () => `<script src="${scriptUrl}" integrity="sha256-${scriptDigest.toString('base64')}" defer></script>`,
  );

fs.mkdirSync(path.join(web, 'dist'), { recursive: true });
fs.writeFileSync(path.join(web, 'dist', 'assets.json'), `${JSON.stringify({ html, js, styleSha256, scriptUrl })}\n`);
