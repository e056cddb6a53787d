import { contracts } from '../../schemas/contracts';
import type { invoke } from './events';

type Handler = Parameters<typeof invoke>[0];

/** Every endpoint's handler, by function name (functions/<name>.ts), in the order of the contracts. */
export async function endpointHandlers(): Promise<Array<[string, Handler]>> {
  const loaded: Array<[string, Handler]> = [];
  for (const name of Object.keys(contracts)) {
    const { handler } = (await import(/* @vite-ignore */ `../../functions/${name}.ts`)) as { handler: Handler };
    loaded.push([name, handler]);
  }
  return loaded;
}
