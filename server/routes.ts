import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/** One httpApi route of serverless.yml: the function that serves it and where its handler lives. */
export interface Route {
  /** the function's name in serverless.yml (createRelease) */
  name: string;
  method: string;
  /** the path as API Gateway writes it: /api/v1/repos/{repo}/releases */
  path: string;
  /** the handler's module, relative to the project root, without extension (functions/createRelease) */
  module: string;
  /** the export the module serves (handler) */
  exportName: string;
}

interface ServerlessFile {
  functions?: Record<string, { handler?: string; events?: Array<{ httpApi?: { method?: string; path?: string } }> }>;
}

/** Every httpApi route that `serverlessYml` declares: serverless.yml is the one list of functions and routes. */
export function readRoutes(serverlessYml: string): Route[] {
  const file = parse(fs.readFileSync(serverlessYml, 'utf8')) as ServerlessFile;
  const routes: Route[] = [];
  for (const [name, fn] of Object.entries(file.functions ?? {})) {
    const handler = fn.handler ?? '';
    const dot = handler.lastIndexOf('.');
    if (dot <= 0) throw new Error(`${path.basename(serverlessYml)}: function ${name} has no handler "file.export"`);
    for (const event of fn.events ?? []) {
      if (!event.httpApi?.method || !event.httpApi.path) continue;
      routes.push({
        name,
        method: event.httpApi.method.toUpperCase(),
        path: event.httpApi.path,
        module: handler.slice(0, dot),
        exportName: handler.slice(dot + 1),
      });
    }
  }
  return routes;
}
