import { createDeployment } from '../lib/domain/deployments';
import { findEnvironmentId } from '../lib/domain/environments';
import { findReleaseId } from '../lib/domain/releases';
import { Convert } from '../lib/github/convert';
import { asGithub, checkDeploymentInput } from '../lib/github/input';
import { created, http } from '../lib/http';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** POST /api/v3/repos/{owner}/{repo}/deployments: GitHub's create a deployment: ref is a release's tag; it starts in_progress (or waiting for approvals). */
export const handler = http(github.ghCreateDeployment, async ({ body, user, origin, repo }) => {
  checkDeploymentInput(body);
  const release = await findReleaseId(db(), repo.id, body.ref).catch(asGithub({}, { notFound: 'ref' }));
  const environmentId = await findEnvironmentId(db(), repo.orgId, body.environment).catch(
    asGithub({}, { notFound: 'environment' }),
  );
  const input = { release, environmentId, deployedBy: user.id, description: body.description };
  const deployment = await createDeployment(db(), repo, { ...input, status: 'in_progress' });
  const view = (await Convert.of(db(), origin, repo, { deployments: [deployment] })).deployment(deployment);
  return created(view.url, view);
});
