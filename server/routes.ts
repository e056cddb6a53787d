import type { Contract } from '../schemas/contract';
import { contracts } from '../schemas/contracts';

/** One route of the API: the function that serves it (serverless.yml's name, functions/<name>.ts) and its contract. */
export interface Route {
  name: string;
  method: string;
  /** the path as API Gateway writes it: /api/v1/repos/{repo}/releases */
  path: string;
  contract: Contract;
}

/** Every route of the API, from the contracts (schemas/contracts), which serverless.yml's functions are made from. */
export function routes(): Route[] {
  return Object.entries(contracts).map(([name, contract]) => ({
    name,
    method: contract.method,
    path: contract.path,
    contract: contract as Contract,
  }));
}
