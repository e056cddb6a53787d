import fs from 'node:fs';
import type { Contract } from '../../schemas/contract';
import { resources } from '../../schemas/contracts';

/** Functions with no route: serverless.yml's own settings for them. */
const SCHEDULED = `  # the webhook deliverer on Lambda (npm start runs it in process instead): no route, a schedule; a run ends before
  # the next starts (timeout 60 s, runs 1 min apart) and stops claiming once too little time is left for an attempt
  deliverWebhooks:
    handler: functions/deliverWebhooks.handler
    timeout: 60
    events: [{ schedule: rate(1 minute) }]
`;

const HEADER = `functions:
  # generated from the contracts (schemas/contracts) by npm run generate, and checked against them by npm test: edit the
  # contracts, not this section
`;

/** Paths of the GitHub surface no function serves: GitHub's 404 in GitHub's shape, wrong methods included. */
const UNROUTED = `  # every other path and method of the GitHub surface (API Gateway prefers any route above to these)
  ghUnrouted:
    handler: functions/ghUnrouted.handler
    events:
      - httpApi:
          method: "*"
          path: "/api/v3/{proxy+}"
      - httpApi:
          method: "*"
          path: "/api/uploads/{proxy+}"
`;

function route(name: string, contract: Contract): string {
  const path = contract.path.includes('{') ? `"${contract.path}"` : contract.path;
  // API Gateway routes HEAD only where it is declared; the GET's handler answers it (lib/http/head.ts)
  // (serverless-offline skips HEAD routes: hapi answers HEAD from the GET route itself)
  const methods = contract.method === 'GET' ? ['GET', 'HEAD'] : [contract.method];
  const events = methods.map((method) => `      - httpApi:\n          method: ${method}\n          path: ${path}\n`);
  return `  ${name}:
    handler: functions/${name}.handler
    events:
${events.join('')}`;
}

/** serverless.yml's `functions:` section, as the contracts make it (the last section of the file). */
function functionsSection(): string {
  const groups = Object.entries(resources).map(
    ([resource, routes]) =>
      `  # ${resource}\n${Object.entries(routes as Record<string, Contract>)
        .map(([name, contract]) => route(name, contract))
        .join('')}`,
  );
  return `${HEADER}${groups.join('')}${UNROUTED}${SCHEDULED}`;
}

/** `text` (serverless.yml) with its `functions:` section, the last of the file, made from the contracts. */
export function withFunctions(text: string): string {
  const start = text.indexOf('\nfunctions:\n');
  if (start === -1) throw new Error('serverless.yml has no functions: section');
  return `${text.slice(0, start + 1)}${functionsSection()}`;
}

/** Rewrites `file`'s functions from the contracts; true when it changed. */
export function writeFunctions(file: string): boolean {
  const text = fs.readFileSync(file, 'utf8');
  const next = withFunctions(text);
  if (next === text) return false;
  fs.writeFileSync(file, next);
  return true;
}
