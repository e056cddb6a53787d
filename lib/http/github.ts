import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type FieldError, type HttpProblem, Unauthorized } from '../infra/errors';
import { serialise } from './responses';

/** Where an endpoint of the GitHub-compatible surface sends a client that wants to know more. */
export interface GithubEndpoint {
  /** GitHub's page for the endpoint */
  docs: string;
  /** what the endpoint's field errors are about: Release, ReleaseAsset, Deployment, DeploymentStatus… */
  resource: string;
}

/** The GitHub-compatible surface: GitHub Enterprise's REST prefix and its upload prefix. */
export function onGithubSurface(path: string): boolean {
  return /^\/api\/(v3|uploads)(\/|$)/.test(path);
}

/** What a path of the GitHub surface that no route serves points to: GitHub's REST reference. */
export const GITHUB_UNROUTED: GithubEndpoint = { docs: 'https://docs.github.com/rest', resource: 'Request' };

/** GitHub's `errors[]` entry: `code` is missing_field, already_exists or invalid, as GitHub words them. */
function githubError(error: FieldError, resource: string) {
  const field = error.path.split('/').slice(2).join('.') || error.path.split('/')[1] || '';
  let code = 'invalid';
  if (error.message === 'is required') code = 'missing_field';
  else if (error.message === 'already exists') code = 'already_exists';
  return { resource, field, code, message: error.message };
}

/**
 * `problem` as GitHub words its errors: `{ message, documentation_url, errors? }`, as application/json (the type
 * Octokit parses). GitHub answers a body or query that fails validation with 422 "Validation Failed" and a
 * malformed id in the path with 404, where the native API says 400 for both; and a 404 is only "Not Found".
 */
export function renderGithubError(
  problem: HttpProblem,
  requestId: string,
  endpoint: GithubEndpoint,
): APIGatewayProxyStructuredResultV2 {
  let errors = problem.errors ?? [];
  let status = problem.status;
  let message = problem.message;
  if (status === 400 && errors.some((error) => error.path.startsWith('/path'))) {
    [status, message, errors] = [404, 'Not Found', []];
  } else if (status === 400 && errors.length && errors.every((error) => /^\/(body|query)\b/.test(error.path))) {
    status = 422;
  }
  // the words GitHub's clients map to their own errors: PyGithub's BadCredentialsException and UnknownObjectException
  // match the message exactly, so these keep GitHub's (the reason we know of is in our logs, not in the answer)
  if (status === 401) {
    message =
      problem instanceof Unauthorized && problem.credentials === 'missing'
        ? 'Requires authentication'
        : 'Bad credentials';
  } else if (status === 404) [message, errors] = ['Not Found', []];
  const body: Record<string, unknown> = { message, documentation_url: endpoint.docs, status: String(status) };
  if (errors.length) body.errors = errors.map((error) => githubError(error, endpoint.resource));
  return serialise(
    {
      status,
      text: JSON.stringify(body),
      headers: { ...problem.headers, 'content-type': 'application/json; charset=utf-8' },
    },
    requestId,
  );
}
