import { artifacts } from './artifacts';
import { deployments } from './deployments';
import { environments } from './environments';
import { events } from './events';
import { github } from './github';
import { githubAccounts } from './githubAccounts';
import { githubGraphql } from './githubGraphql';
import { metrics } from './metrics';
import { releases } from './releases';
import { repos } from './repos';
import { site } from './site';
import { tokens } from './tokens';
import { webhooks } from './webhooks';

/** The routes by resource, in the order serverless.yml lists them. */
export const resources = {
  site,
  artifacts,
  releases,
  deployments,
  environments,
  metrics,
  repos,
  events,
  tokens,
  webhooks,
  github,
  githubAccounts,
  githubGraphql,
};

/** Every route of the API by function name: serverless.yml's, and the file in functions/ that serves it. */
export const contracts = {
  ...site,
  ...artifacts,
  ...releases,
  ...deployments,
  ...environments,
  ...metrics,
  ...repos,
  ...events,
  ...tokens,
  ...webhooks,
  ...github,
  ...githubAccounts,
  ...githubGraphql,
};

export type FunctionName = keyof typeof contracts;
