import { type DocumentNode, type ExecutionResult, execute, GraphQLError, parse, validate } from 'graphql';
import type { Release } from '../../schemas/releases';
import { releaseVisibility } from '../domain/access';
import type { User } from '../domain/identity';
import { listReleaseDetails } from '../domain/releaseDetails';
import { getRelease, latestReleaseId } from '../domain/releases';
import { namedRepoAccess } from '../domain/repos';
import { normalizeVersion } from '../domain/versions';
import { Convert } from '../github/convert';
import { db } from '../infra/db';
import { HttpProblem } from '../infra/errors';
import { checkLimits, fieldError, githubSchema, pageSize } from './githubGraphqlSchema';

interface Caller {
  user: User;
  origin: string;
}

/** A failure of ours inside a resolver, as GitHub's GraphQL words it (a NOT_FOUND is the field's null). */
function asGraphqlError(error: unknown, what: string): never {
  if (error instanceof HttpProblem) {
    if (error.status === 404) throw fieldError(`Could not resolve to ${what}.`, 'NOT_FOUND');
    if (error.status < 500) throw fieldError(error.message, 'UNPROCESSABLE');
  }
  throw error;
}

function releaseNode(release: Release, convert: Convert, latest: () => Promise<string | null>) {
  const rest = convert.release(release);
  return {
    id: rest.node_id,
    databaseId: rest.id,
    name: rest.name,
    tagName: rest.tag_name,
    description: release.notes,
    isDraft: release.draft,
    isLatest: async () => (await latest()) === release.id,
    isPrerelease: rest.prerelease,
    createdAt: release.createdAt,
    publishedAt: release.publishedAt,
    url: rest.url,
    author: { login: rest.author.login, databaseId: rest.author.id },
    releaseAssets: ({ first, after }: { first?: number | null; after?: string | null }) => {
      const size = pageSize(first, 'releaseAssets');
      const start = after
        ? Number(
            Buffer.from(after, 'base64url')
              .toString('utf8')
              .replace(/^asset:/, ''),
          )
        : 0;
      if (!Number.isInteger(start) || start < 0)
        throw fieldError('`after` is not a cursor of this connection.', 'INVALID_CURSOR_ARGUMENTS');
      const page = rest.assets.slice(start, start + size);
      const end = start + page.length;
      return {
        nodes: page.map((asset) => ({
          id: asset.node_id,
          databaseId: asset.id,
          name: asset.name,
          contentType: asset.content_type,
          size: asset.size,
          downloadCount: 0,
          downloadUrl: asset.browser_download_url,
          url: asset.url,
          createdAt: asset.created_at,
        })),
        totalCount: rest.assets.length,
        pageInfo: {
          hasNextPage: end < rest.assets.length,
          hasPreviousPage: start > 0,
          startCursor: page.length ? Buffer.from(`asset:${start}`).toString('base64url') : null,
          endCursor: page.length ? Buffer.from(`asset:${end}`).toString('base64url') : null,
        },
      };
    },
  };
}

function repositoryNode(caller: Caller) {
  return async ({ owner, name }: { owner: string; name: string }) => {
    const repo = await namedRepoAccess(db(), owner, name, caller.user.id).catch((error: unknown) =>
      asGraphqlError(error, `a Repository with the name '${owner}/${name}'`),
    );
    let latest: Promise<string | null> | undefined;
    const latestId = (): Promise<string | null> => {
      if (!latest) {
        latest = latestReleaseId(db(), repo.id, { prerelease: false });
        // started beside the page and maybe never asked for (isLatest not selected): its failure waits for a reader
        latest.catch(() => {});
      }
      return latest;
    };
    return {
      name: repo.name,
      nameWithOwner: `${repo.owner}/${repo.name}`,
      owner: { login: repo.owner },
      release: async ({ tagName }: { tagName: string }) => {
        // a tag names a version here (with or without its v); anything else names no release
        if (normalizeVersion(tagName) === null) return null;
        try {
          void latestId();
          const release = await getRelease(db(), repo.id, tagName, releaseVisibility(caller.user));
          return releaseNode(release, await Convert.of(db(), caller.origin, repo, { releases: [release] }), latestId);
        } catch (error) {
          if (error instanceof HttpProblem && error.status === 404) return null;
          throw error;
        }
      },
      releases: async (args: {
        first?: number | null;
        after?: string | null;
        orderBy?: { field: string; direction: string } | null;
      }) => {
        const size = pageSize(args.first, 'releases');
        if (args.orderBy && (args.orderBy.field !== 'CREATED_AT' || args.orderBy.direction !== 'DESC')) {
          throw fieldError(
            'Releases are served newest first only: orderBy {field: CREATED_AT, direction: DESC}.',
            'UNPROCESSABLE',
          );
        }
        void latestId(); // beside the page, rather than after it, for isLatest
        const list = await listReleaseDetails(db(), repo.id, {
          limit: size,
          ...releaseVisibility(caller.user),
          ...(args.after ? { cursor: args.after } : {}),
        }).catch((error: unknown) => asGraphqlError(error, 'releases'));
        const convert = await Convert.of(db(), caller.origin, repo, { releases: list.items });
        const nodes = list.items.map((release) => releaseNode(release, convert, latestId));
        return {
          nodes,
          edges: nodes.map((node) => ({ cursor: list.nextCursor ?? '', node })),
          totalCount: list.total,
          pageInfo: {
            hasNextPage: list.nextCursor !== null,
            hasPreviousPage: Boolean(args.after),
            startCursor: null,
            endCursor: list.nextCursor,
          },
        };
      },
    };
  };
}

/** An error as GitHub's GraphQL API shows it: its type where it has one, the path and where in the query. */
function githubShape(error: GraphQLError) {
  const type = error.extensions?.type;
  return {
    ...(typeof type === 'string' ? { type } : {}),
    ...(error.path ? { path: error.path } : {}),
    ...(error.locations ? { locations: error.locations } : {}),
    message: error.message,
  };
}

// a client sends the same few queries again and again (gh's are constants): each is parsed and checked once
const checkedDocuments = new Map<string, { document: DocumentNode } | { errors: unknown[] }>();
const CHECKED_DOCUMENTS_KEPT = 200;

/** `query` parsed, validated against the schema and held to our limits, or its errors in GitHub's shape. */
function checkedDocument(query: string): { document: DocumentNode } | { errors: unknown[] } {
  const known = checkedDocuments.get(query);
  if (known) return known;
  let checked: { document: DocumentNode } | { errors: unknown[] };
  try {
    const document = parse(query, { maxTokens: 5_000 });
    const invalid = validate(githubSchema, document);
    const beyond = invalid.length ? [] : checkLimits(document);
    checked = invalid.length || beyond.length ? { errors: [...invalid, ...beyond].map(githubShape) } : { document };
  } catch (error) {
    checked = { errors: [githubShape(error as GraphQLError)] };
  }
  // the oldest goes first once the cache is full (a Map keeps insertion order)
  if (checkedDocuments.size >= CHECKED_DOCUMENTS_KEPT)
    checkedDocuments.delete(checkedDocuments.keys().next().value as string);
  checkedDocuments.set(query, checked);
  return checked;
}

/**
 * Runs one GraphQL request for `caller`: parse, the schema's own validation, our limits, then execution. What the
 * client got wrong is an `errors` answer; a failure of ours (the database down) is thrown for the problem layer.
 */
export async function runGithubGraphql(
  request: { query: string; variables?: Record<string, unknown> | null; operationName?: string | null },
  caller: Caller,
): Promise<{ data?: unknown; errors?: unknown[] }> {
  const checked = checkedDocument(request.query);
  if ('errors' in checked) return checked;
  const { document } = checked;
  const result: ExecutionResult = await execute({
    schema: githubSchema,
    document,
    rootValue: { viewer: { login: caller.user.name }, repository: repositoryNode(caller) },
    variableValues: request.variables ?? {},
    operationName: request.operationName ?? undefined,
  });
  for (const error of result.errors ?? []) {
    const cause = error.originalError;
    // our own failure, not the client's: the problem layer answers it (503 for the database, else a bare 500)
    if (cause && !(cause instanceof GraphQLError) && !(cause instanceof HttpProblem)) throw cause;
  }
  return {
    ...(result.data !== undefined ? { data: result.data } : {}),
    ...(result.errors?.length ? { errors: result.errors.map(githubShape) } : {}),
  };
}
