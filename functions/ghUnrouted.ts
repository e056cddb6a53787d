import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { GITHUB_UNROUTED, renderGithubError } from '../lib/http/github';
import { isHead, withoutBody } from '../lib/http/head';
import { NotFound } from '../lib/infra/errors';

/**
 * Every path and method of /api/v3 and /api/uploads that no function serves (serverless.yml's catch-all routes on
 * API Gateway and serverless-offline; npm start's server answers the same itself): GitHub's 404 in GitHub's shape,
 * `{"message":"Not Found"}`, which GitHub's clients map to their own not-found error. A wrong method is a 404 too,
 * as GitHub answers it.
 */
export async function handler(event: APIGatewayProxyEventV2, context: Context) {
  const result = renderGithubError(new NotFound('Not Found'), context.awsRequestId, GITHUB_UNROUTED);
  return isHead(event) ? withoutBody(result) : result;
}
