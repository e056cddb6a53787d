import {
  buildSchema,
  type DocumentNode,
  type FragmentDefinitionNode,
  GraphQLError,
  Kind,
  type SelectionSetNode,
} from 'graphql';

// The subset of GitHub's GraphQL schema served at POST /api/graphql, and the limits a query is held to (depth,
// aliases, page size) before anything runs.

/**
 * GitHub's GraphQL API, the strict subset its clients ask of releases (gh release list, view, download): a
 * repository's releases newest first with `first`/`after`, a release by `tagName`, its assets, and `viewer`. Anything
 * else is a GraphQL error in GitHub's shape (HTTP 200), never a 500. Introspection is allowed, as GitHub allows it.
 */
export const githubSchema = buildSchema(`
  "An ISO-8601 encoded UTC date string."
  scalar DateTime
  "An RFC 3986 URI."
  scalar URI

  type Query {
    "The currently authenticated user."
    viewer: User!
    "Lookup a given repository by the owner and repository name."
    repository(owner: String!, name: String!): Repository
  }

  type User {
    login: String!
    databaseId: Int
  }

  type RepositoryOwner {
    login: String!
  }

  type Repository {
    name: String!
    nameWithOwner: String!
    owner: RepositoryOwner!
    "Lookup a single release given various criteria."
    release(tagName: String!): Release
    "List of releases which are dependent on this repository (newest first)."
    releases(first: Int, after: String, orderBy: ReleaseOrder): ReleaseConnection!
  }

  enum ReleaseOrderField { CREATED_AT NAME }
  enum OrderDirection { ASC DESC }
  input ReleaseOrder { field: ReleaseOrderField!, direction: OrderDirection! }

  type PageInfo {
    hasNextPage: Boolean!
    hasPreviousPage: Boolean!
    endCursor: String
    startCursor: String
  }

  type ReleaseEdge { cursor: String!, node: Release }
  type ReleaseConnection {
    nodes: [Release]
    edges: [ReleaseEdge]
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Release {
    id: ID!
    databaseId: Int
    name: String
    tagName: String!
    description: String
    isDraft: Boolean!
    isLatest: Boolean!
    isPrerelease: Boolean!
    createdAt: DateTime!
    publishedAt: DateTime
    url: URI!
    author: User
    releaseAssets(first: Int, after: String): ReleaseAssetConnection!
  }

  type ReleaseAsset {
    id: ID!
    databaseId: Int
    name: String!
    contentType: String!
    size: Int!
    downloadCount: Int!
    downloadUrl: URI!
    url: URI!
    createdAt: DateTime!
  }
  type ReleaseAssetConnection {
    nodes: [ReleaseAsset]
    pageInfo: PageInfo!
    totalCount: Int!
  }
`);

/** How deep a selection may go (introspection aside), how many aliases a document may hold, the largest `first`. */
const GRAPHQL_LIMITS = { depth: 6, aliases: 20, first: 100 } as const;

export function fieldError(message: string, type: string): GraphQLError {
  return new GraphQLError(message, { extensions: { type } });
}

/** `first` as GitHub requires it on a connection: given, and 1 to 100. */
export function pageSize(first: number | null | undefined, connection: string): number {
  if (first === undefined || first === null) {
    throw fieldError(
      `You must provide a \`first\` value to properly paginate the \`${connection}\` connection.`,
      'MISSING_PAGINATION_BOUNDARIES',
    );
  }
  if (first < 1 || first > GRAPHQL_LIMITS.first) {
    throw fieldError(
      `Requesting ${first} records on the \`${connection}\` connection is outside the limits of 1 to ${GRAPHQL_LIMITS.first} records.`,
      'EXCESSIVE_PAGINATION',
    );
  }
  return first;
}

/** The depth of a selection and the aliases in it, fragments followed, introspection's own fields not counted. */
function measure(
  set: SelectionSetNode | undefined,
  fragments: Map<string, FragmentDefinitionNode>,
  seen: Set<string>,
): { depth: number; aliases: number } {
  let depth = 0;
  let aliases = 0;
  for (const selection of set?.selections ?? []) {
    let inner: { depth: number; aliases: number };
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value.startsWith('__')) continue;
      inner = measure(selection.selectionSet, fragments, seen);
      inner = { depth: inner.depth + 1, aliases: inner.aliases + (selection.alias ? 1 : 0) };
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      inner = measure(selection.selectionSet, fragments, seen);
    } else {
      const fragment = fragments.get(selection.name.value);
      if (!fragment || seen.has(fragment.name.value)) continue;
      inner = measure(fragment.selectionSet, fragments, new Set([...seen, fragment.name.value]));
    }
    depth = Math.max(depth, inner.depth);
    aliases += inner.aliases;
  }
  return { depth, aliases };
}

export function checkLimits(document: DocumentNode): GraphQLError[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const errors: GraphQLError[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.OPERATION_DEFINITION) continue;
    const { depth, aliases } = measure(definition.selectionSet, fragments, new Set());
    if (depth > GRAPHQL_LIMITS.depth) {
      errors.push(
        fieldError(
          `The query is ${depth} fields deep; at most ${GRAPHQL_LIMITS.depth} are served.`,
          'MAX_DEPTH_EXCEEDED',
        ),
      );
    }
    if (aliases > GRAPHQL_LIMITS.aliases) {
      errors.push(
        fieldError(
          `The query has ${aliases} aliases; at most ${GRAPHQL_LIMITS.aliases} are served.`,
          'MAX_ALIASES_EXCEEDED',
        ),
      );
    }
  }
  return errors;
}
