import { beforeAll, describe, expect, it } from 'vitest';
import { handler as graphql } from '../../functions/ghGraphql';
import { releaseIn } from '../helpers/deployments';
import { invoke } from '../helpers/events';
import { useWorld } from '../helpers/world';

// GitHub's GraphQL subset (POST /api/graphql): what it answers, and every client mistake as a GraphQL error in
// GitHub's shape with HTTP 200, never a 500; the same token rules as REST.
const { pool, world } = useWorld();

async function ask(query: string, variables?: Record<string, unknown>, token = world.developer.token) {
  return invoke(graphql, { body: { query, ...(variables ? { variables } : {}) }, token });
}

const byTag = `query($owner:String!,$name:String!,$tag:String!){repository(owner:$owner,name:$name){
  release(tagName:$tag){databaseId tagName name isDraft isLatest isPrerelease releaseAssets(first:10){totalCount nodes{name}}}}}`;
const list = `query($owner:String!,$name:String!,$first:Int!,$after:String){repository(owner:$owner,name:$name){
  releases(first:$first,after:$after,orderBy:{field:CREATED_AT,direction:DESC}){totalCount nodes{tagName}
  pageInfo{hasNextPage endCursor}}}}`;

beforeAll(async () => {
  for (const version of ['3.0.0', '3.1.0', '3.2.0-rc.1']) {
    await releaseIn(pool, world.repo.id, world.releaseManager.id, version);
  }
});

describe('GitHub GraphQL', () => {
  it('answers the viewer, a release by tag and the releases page by page, newest first', async () => {
    expect((await ask('{ viewer { login } }')).body).toEqual({ data: { viewer: { login: 'dev' } } });
    const vars = { owner: world.org.slug, name: 'app' };
    const release = await ask(byTag, { ...vars, tag: 'v3.1.0' });
    expect([release.status, release.body]).toEqual([
      200,
      {
        data: {
          repository: {
            release: {
              databaseId: expect.any(Number),
              tagName: 'v3.1.0',
              name: '3.1.0', // the release's title, the version where none was given (as REST's name)
              isDraft: false,
              isLatest: true,
              isPrerelease: false,
              releaseAssets: { totalCount: 0, nodes: [] },
            },
          },
        },
      },
    ]);
    expect((await ask(byTag, { ...vars, tag: 'v9.0.0' })).body).toEqual({ data: { repository: { release: null } } });
    const first = await ask(list, { ...vars, first: 2 });
    expect(first.body.data.repository.releases).toMatchObject({
      totalCount: 3,
      nodes: [{ tagName: 'v3.2.0-rc.1' }, { tagName: 'v3.1.0' }],
      pageInfo: { hasNextPage: true },
    });
    const second = await ask(list, {
      ...vars,
      first: 2,
      after: first.body.data.repository.releases.pageInfo.endCursor,
    });
    expect(second.body.data.repository.releases).toMatchObject({
      nodes: [{ tagName: 'v3.0.0' }],
      pageInfo: { hasNextPage: false, endCursor: null },
    });
  });

  it("answers another org's repository as one that does not exist, and a bad token as REST does", async () => {
    const other = await ask(list, { owner: world.otherOrg.slug, name: 'app', first: 1 });
    expect([other.status, other.body.data, other.body.errors[0]]).toEqual([
      200,
      { repository: null },
      expect.objectContaining({ type: 'NOT_FOUND', path: ['repository'] }),
    ]);
    const bad = await ask('{ viewer { login } }', undefined, `gwr_${'x'.repeat(43)}`);
    expect([bad.status, bad.body.message]).toEqual([401, 'Bad credentials']);
  });

  it('refuses what is outside the subset or its limits with GraphQL errors, never a 500', async () => {
    const vars = { owner: world.org.slug, name: 'app' };
    const repo = `repository(owner:"${world.org.slug}",name:"app")`;
    const cases: Array<[string, string, Record<string, unknown> | undefined, RegExp]> = [
      ['a syntax error', '{ viewer { login }', undefined, /^Syntax Error/],
      ['an unknown field', '{ viewer { email } }', undefined, /Cannot query field "email"/],
      ['a variable of the wrong type', list, { ...vars, first: 'ten' }, /Int cannot represent/],
      ['a huge first', list, { ...vars, first: 100_000 }, /outside the limits of 1 to 100/],
      ['no first', `{ ${repo} { releases { totalCount } } }`, undefined, /You must provide a `first`/],
      [
        'too deep',
        `{ ${repo} { releases(first:1) { edges { node { releaseAssets(first:1) { nodes { name } } } } } } }`,
        undefined,
        /7 fields deep; at most 6/,
      ],
      [
        'too deep through a fragment',
        `fragment A on ReleaseAssetConnection { nodes { name } }
         { ${repo} { releases(first:1) { edges { node { releaseAssets(first:1) { ...A } } } } } }`,
        undefined,
        /7 fields deep; at most 6/,
      ],
      [
        'repeated aliases',
        `{ ${Array.from({ length: 21 }, (_, i) => `v${i}: viewer { login }`).join(' ')} }`,
        undefined,
        /21 aliases; at most 20/,
      ],
      ['ascending order', list.replace('direction:DESC', 'direction:ASC'), { ...vars, first: 1 }, /newest first only/],
      ['a forged cursor', list, { ...vars, first: 1, after: 'not-a-cursor' }, /cursor/i],
    ];
    for (const [what, query, variables, message] of cases) {
      const res = await ask(query, variables);
      expect([what, res.status, res.headers['content-type']]).toEqual([what, 200, 'application/json; charset=utf-8']);
      expect([what, res.body.errors?.[0]?.message]).toEqual([what, expect.stringMatching(message)]);
    }
    // six deep is served
    const six = await ask(`{ ${repo} { release(tagName:"v3.0.0") { releaseAssets(first:1) { nodes { name } } } } }`);
    expect(six.body).toEqual({ data: { repository: { release: { releaseAssets: { nodes: [] } } } } });
    // a body that is not a GraphQL request at all is refused as REST refuses a bad body
    const notGraphql = await invoke(graphql, { body: { mutation: 'x' }, token: world.developer.token });
    expect(notGraphql.status).toBe(422);
  });

  it('allows introspection, as GitHub does', async () => {
    const res = await ask(
      '{ __schema { queryType { name } types { name fields { name type { name ofType { name } } } } } }',
    );
    expect([res.status, res.body.data.__schema.queryType.name]).toEqual([200, 'Query']);
  });
});
