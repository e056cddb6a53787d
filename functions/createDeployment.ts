import { createDeployment } from '../lib/domain/deployments';
import { repoForMember } from '../lib/domain/repos';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { createDeploymentBody, deployment } from '../schemas/deployments';
import { releaseRefParams } from '../schemas/releases';

/** POST /api/v1/repos/{repo}/releases/{idOrVersion}/deployments: record a deployment of the release to an environment. */
export const handler = http(
  {
    params: releaseRefParams,
    body: createDeploymentBody,
    scope: 'deploy',
    route: 'POST /api/v1/repos/{repo}/releases/{id}/deployments',
    summary: 'Record a deployment of a release to an environment (protected ones need a release manager)',
    success: { status: 201, schema: deployment },
    problems: [403],
  },
  async ({ params, body, user }) => {
    const repo = await repoForMember(db(), params.repo, user);
    const recorded = await createDeployment(db(), repo, { release: params.id, deployedBy: user.id, ...body });
    return created(`/api/v1/deployments/${recorded.id}`, recorded);
  },
);
