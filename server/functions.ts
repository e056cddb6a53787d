import { handlerModules } from 'gitweave:handlers';
import path from 'node:path';
import type { Served } from './app';
import { readRoutes } from './routes';

/**
 * Every httpApi route of `root`/serverless.yml with its handler. The handler modules come from one bundle: the
 * build (scripts/lib/buildServer.mjs) imports every file of functions/ statically under `gitweave:handlers`, so
 * one copy of each library and one database pool serve them all.
 */
export function functions(root: string): Served[] {
  return readRoutes(path.join(root, 'serverless.yml')).map((route) => {
    const handler = handlerModules[route.module]?.[route.exportName];
    if (typeof handler !== 'function') {
      throw new Error(`serverless.yml: ${route.name}'s handler ${route.module}.${route.exportName} is not a function`);
    }
    return { ...route, handler: handler as Served['handler'] };
  });
}
