import type { MiddlewareObj } from '@middy/core';
import type { Scope } from '../../schemas/tokens';
import { authenticate } from '../domain/identity';
import { namedRepoAccess } from '../domain/repos';
import { db } from '../infra/db';
import { BadRequest, Forbidden, NotFound, Unauthorized } from '../infra/errors';
import { isUuid } from '../infra/ids';
import type { Event, Result, StackContext } from './context';

/**
 * `Authorization: Bearer <token>` (or GitHub's `token <token>`) → the caller, else 401; a token without the
 * endpoint's `scope` is a 403. When the path names a repo by id, the token's lookup also finds the caller's access to
 * it (one round trip for both), which `repoMembership` checks once the input is valid.
 */
export function authentication(scope: Scope | null): MiddlewareObj<Event, Result, Error, StackContext> {
  return {
    before: async (request) => {
      const value = request.event.headers?.authorization;
      if (!value) {
        throw new Unauthorized('This endpoint needs an API token: send Authorization: Bearer <token>.', 'missing');
      }
      // API Gateway joins a repeated header with commas, and a token never holds one: a comma means two headers
      if (value.includes(',')) {
        throw new BadRequest('The Authorization header was sent more than once; send exactly one.', [
          { path: '/headers/authorization', message: 'was sent more than once' },
        ]);
      }
      const match = /^(?:Bearer|token)\s+(\S+)\s*$/i.exec(value);
      if (!match?.[1])
        throw new Unauthorized('The Authorization header must be "Bearer <token>" (or "token <token>").');
      const repo = request.event.pathParameters?.repo;
      const found = await authenticate(db(), match[1], repo && isUuid(repo) ? repo : undefined);
      if (!found) throw new Unauthorized('The API token is not valid, or has been revoked.');
      if (scope && !found.user.token.scopes.includes(scope)) {
        throw new Forbidden(
          `This endpoint needs a token with the ${scope} scope; the token you sent has ${found.user.token.scopes.join(', ')}.`,
        );
      }
      request.context.user = found.user;
      request.context.repoAccess = found.repo;
    },
  };
}

/**
 * The repo the path names, for a member of its org: a repo in an org the caller is not in is reported exactly like
 * a repo that does not exist (404), so nothing leaks across orgs. Runs after the input checks, so that a malformed
 * request is a 400 whoever sends it. A native path names the repo by id, which the token's lookup resolved; GitHub's
 * names it `{owner}/{repo}` (org slug and repo name), resolved here with the names, which its URLs are built from.
 */
export function repoMembership(): MiddlewareObj<Event, Result, Error, StackContext> {
  return {
    before: async (request) => {
      const params = request.context.input?.params as { owner?: string; repo?: string } | undefined;
      if (params?.owner !== undefined && params.repo !== undefined && request.context.user) {
        request.context.repoAccess = await namedRepoAccess(db(), params.owner, params.repo, request.context.user.id);
      }
      if (!request.context.repoAccess) {
        throw new NotFound(`Repo ${request.event.pathParameters?.repo ?? ''} was not found`);
      }
    },
  };
}
