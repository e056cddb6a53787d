import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Contract } from '../../schemas/contract';
import { contracts } from '../../schemas/contracts';
import { withFunctions } from '../../scripts/lib/serverlessFunctions';

// One contract per route (schemas/contracts): serverless.yml's functions are made from them, each handler serves the
// contract of its name, and what a contract says of its path agrees with its own schemas.
const routes = Object.entries(contracts) as Array<[string, Contract]>;
const properties = (schema: unknown) => Object.keys((schema as { properties?: object } | undefined)?.properties ?? {});

describe('the contracts', () => {
  it("are what serverless.yml's functions say (npm run generate writes them)", () => {
    const text = fs.readFileSync('serverless.yml', 'utf8');
    expect(withFunctions(text)).toBe(text);
  });

  it('each name a file of functions/ whose handler serves that contract; the others are scheduled or catch-alls', async () => {
    for (const [name, contract] of routes) {
      const { handler } = (await import(/* @vite-ignore */ `../../functions/${name}.ts`)) as {
        handler: { contract?: Contract };
      };
      expect([name, handler.contract]).toEqual([name, contract]);
    }
    const files = fs.readdirSync('functions').map((file) => file.replace(/\.ts$/, ''));
    expect(files.filter((file) => !(file in contracts))).toEqual(['deliverWebhooks', 'ghUnrouted']);
    // it loads every handler's module (and what each imports) for the first time in this worker
  }, 60_000);

  it('give each method and path to one route only', () => {
    const keys = routes.map(([, { method, path }]) => `${method} ${path}`);
    expect(keys.length).toBe(new Set(keys).size);
  });

  it('name in their path exactly the parameters their params schema takes, all required', () => {
    for (const [name, contract] of routes) {
      const inPath = [...contract.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
      const schema = contract.params as { required?: string[] } | undefined;
      expect([name, properties(contract.params).sort()]).toEqual([name, inPath]);
      expect([name, [...(schema?.required ?? [])].sort()]).toEqual([name, inPath]);
    }
  });

  it('check repo membership on every route that names a repo (by id, or as GitHub does: {owner}/{repo}), and on no other', () => {
    for (const [name, contract] of routes) {
      const native = contract.path.startsWith('/api/v1/') && contract.path.includes('{repo}');
      const github = /^\/api\/(v3|uploads)\/repos\/\{owner\}\/\{repo\}/.test(contract.path);
      expect([name, contract.access === 'repo']).toEqual([name, native || github]);
    }
  });
});
