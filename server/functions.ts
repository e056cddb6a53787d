import { handlerModules } from 'gitweave:handlers';
import type { Served } from './app';
import { routes } from './routes';

/**
 * Every route with its handler, `handler` of functions/<name>.ts. The handler modules come from one bundle: the build
 * (scripts/lib/buildServer.mjs) imports every file of functions/ statically under `gitweave:handlers`, so one copy of
 * each library and one database pool serve them all.
 */
export function functions(): Served[] {
  return routes().map((route) => {
    const handler = handlerModules[`functions/${route.name}`]?.handler;
    if (typeof handler !== 'function') throw new Error(`functions/${route.name}.ts exports no handler`);
    return { ...route, handler: handler as Served['handler'] };
  });
}
