import { repoByName } from '../lib/domain/github';
import { createGithubDeployment } from '../lib/domain/githubDeployments';
import { created, http } from '../lib/http';
import { GithubViews } from '../lib/http/githubViews';
import { db } from '../lib/infra/db';
import { github } from '../schemas/contracts/github';

/** POST /api/v3/repos/{owner}/{repo}/deployments: GitHub's create a deployment: ref is a release's tag; it starts in_progress (or waiting for approvals). */
export const handler = http(github.ghCreateDeployment, async ({ params, body, user, origin }) => {
  const repo = await repoByName(db(), params.owner, params.repo, user);
  const views = new GithubViews(origin, repo.owner, repo.name);
  const deployment = views.deployment(await createGithubDeployment(db(), repo, user.id, body));
  return created(deployment.url, deployment);
});
