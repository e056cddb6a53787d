import { describe, expect, inject, it } from 'vitest';
import { onServerDoor } from '../helpers/api';
import { useWorld } from '../helpers/world';

// HEAD wherever GET is, on every surface, and the GitHub surface answering as GitHub in every case (unrouted paths,
// wrong methods, credentials) with the endpoints its clients call first; over HTTP, through this run's door.
const { world } = useWorld();

const origin = inject('apiUrl').replace(/\/api\/v1$/, '');
const auth = (token: string) => ({ authorization: `token ${token}` });

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown) {
  // identity: serverless-offline gzips a GET's body when the client accepts it, so that the two would differ in length
  const sent = { 'accept-encoding': 'identity', ...headers };
  const res = await fetch(`${origin}${path}`, {
    method,
    headers: body === undefined ? sent : { ...sent, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, headers: res.headers, bytes, json: () => JSON.parse(bytes.toString('utf8')) };
}

/** The headers of an answer that say what it is (those that differ per request or per connection left out). */
function describing(headers: Headers): Record<string, string> {
  const volatile = new Set(['date', 'x-request-id', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
  // serverless-offline's HTTP layer (hapi) adds Accept-Ranges to a GET with a body, not to a HEAD, of its own accord
  if (!onServerDoor) volatile.add('accept-ranges');
  return Object.fromEntries([...headers].filter(([name]) => !volatile.has(name)));
}

async function githubRelease(tag: string) {
  const created = await call('POST', `/api/v3/repos/${world.org.slug}/app/releases`, auth(world.releaseManager.token), {
    tag_name: tag,
  });
  expect(created.status).toBe(201);
  return created.json() as { id: number; upload_url: string };
}

describe('HEAD', () => {
  it("answers every GET route with the GET's status and headers and no body, on each surface", async () => {
    const release = await githubRelease('v1.0.0');
    const upload = await call(
      'POST',
      `/api/uploads/repos/${world.org.slug}/app/releases/${release.id}/assets?name=app.tgz`,
      { ...auth(world.releaseManager.token), 'content-type': 'application/octet-stream' },
    );
    expect(upload.status).toBe(201);
    const asset = upload.json() as { id: number; browser_download_url: string };
    const token = auth(world.developer.token);
    const repo = `/api/v3/repos/${world.org.slug}/app`;
    const paths: Array<[string, Record<string, string>]> = [
      ['/api/v1/health', {}],
      ['/api/v1/openapi.json', {}],
      ['/', {}],
      [`/api/v1/repos/${world.repo.id}/releases?limit=1`, token],
      [`/api/v1/repos/${world.repo.id}/releases/00000000-0000-4000-8000-000000000000`, token],
      [new URL(asset.browser_download_url).pathname, token],
      ['/api/v3', {}],
      [`${repo}/releases?per_page=1`, token],
      [`${repo}/releases/tags/v1.0.0`, token],
      [`${repo}/releases/tags/v9.9.9`, token],
      [`${repo}/releases/assets/${asset.id}`, { ...token, accept: 'application/octet-stream' }],
      [`${repo}/releases`, {}],
      ['/api/v3/no/such/path', token],
    ];
    for (const [path, headers] of paths) {
      const get = await call('GET', path, headers);
      const head = await call('HEAD', path, headers);
      expect([path, head.status, describing(head.headers)]).toEqual([path, get.status, describing(get.headers)]);
      expect([path, head.bytes.length]).toEqual([path, 0]);
      expect([path, head.headers.get('content-length')]).toEqual([path, String(get.bytes.length)]);
    }
  });
});

describe('the GitHub surface, as GitHub answers', () => {
  const notFound = { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' };

  it('answers a path or method it does not serve with its 404 in its shape', async () => {
    const token = auth(world.developer.token);
    for (const [method, path] of [
      ['GET', '/api/v3/no/such/path'],
      ['POST', `/api/v3/repos/${world.org.slug}/app/releases/latest`],
      ['PUT', `/api/v3/repos/${world.org.slug}/app/releases`],
      ['DELETE', '/api/uploads/repos/o/r/releases/1/assets'],
    ] as const) {
      const res = await call(method, path, token);
      expect([method, path, res.status, res.headers.get('content-type'), res.json()]).toEqual([
        method,
        path,
        404,
        'application/json; charset=utf-8',
        notFound,
      ]);
    }
  });

  it('says Bad credentials for a bad token, Requires authentication for none, Not Found for what is not there', async () => {
    const path = `/api/v3/repos/${world.org.slug}/app/releases`;
    const bad = await call('GET', path, auth(`gwr_${'x'.repeat(43)}`));
    expect([bad.status, bad.json().message]).toEqual([401, 'Bad credentials']);
    const none = await call('GET', path);
    expect([none.status, none.json().message]).toEqual([401, 'Requires authentication']);
    const other = await call('GET', `/api/v3/repos/${world.otherOrg.slug}/app`, auth(world.developer.token));
    expect([other.status, other.json().message]).toEqual([404, 'Not Found']);
  });

  it('ignores query parameters it does not read, and still checks those it reads', async () => {
    const path = `/api/v3/repos/${world.org.slug}/app/releases`;
    const ignored = await call('GET', `${path}?direction=asc&sort=created`, auth(world.developer.token));
    expect(ignored.status).toBe(200);
    const bad = await call('GET', `${path}?per_page=many&direction=asc`, auth(world.developer.token));
    expect([bad.status, bad.json().message, bad.json().errors[0].field]).toEqual([
      422,
      'Invalid query parameter: /per_page must be integer.',
      'per_page',
    ]);
  });
});

describe('what GitHub clients ask first', () => {
  it('serves the root document, the caller, a person, a repository and a deployment status by id', async () => {
    const root = await call('GET', '/api/v3');
    expect([root.status, root.json()]).toEqual([
      200,
      {
        current_user_url: `${origin}/api/v3/user`,
        user_url: `${origin}/api/v3/users/{user}`,
        repository_url: `${origin}/api/v3/repos/{owner}/{repo}`,
      },
    ]);

    const me = await call('GET', '/api/v3/user', auth(world.developer.token));
    expect([me.status, me.json()]).toEqual([
      200,
      expect.objectContaining({ login: 'dev', type: 'User', id: expect.any(Number) }),
    ]);
    const colleague = await call('GET', '/api/v3/users/rm', auth(world.developer.token));
    expect([colleague.status, colleague.json().login]).toEqual([200, 'rm']);
    // a person in no org of the caller's does not exist for it
    expect((await call('GET', '/api/v3/users/outsider', auth(world.developer.token))).status).toBe(404);

    const repoPath = `/api/v3/repos/${world.org.slug}/app`;
    const asDeveloper = await call('GET', repoPath, auth(world.developer.token));
    expect([asDeveloper.status, asDeveloper.json()]).toEqual([
      200,
      expect.objectContaining({
        id: expect.any(Number),
        name: 'app',
        full_name: `${world.org.slug}/app`,
        owner: expect.objectContaining({ login: world.org.slug, type: 'Organization' }),
        private: true,
        visibility: 'private',
        url: `${origin}${repoPath}`,
        permissions: { admin: false, maintain: false, push: true, triage: true, pull: true },
      }),
    ]);
    const asManager = await call('GET', repoPath, auth(world.releaseManager.token));
    expect([asManager.json().id, asManager.json().permissions.maintain]).toEqual([asDeveloper.json().id, true]);
    expect((await call('GET', repoPath, auth(world.outsider.token))).status).toBe(404);

    await githubRelease('v2.0.0');
    const deployment = await call('POST', `${repoPath}/deployments`, auth(world.releaseManager.token), {
      ref: 'v2.0.0',
      environment: 'dev',
    });
    expect(deployment.status).toBe(201);
    const deploymentId = deployment.json().id as number;
    const posted = await call(
      'POST',
      `${repoPath}/deployments/${deploymentId}/statuses`,
      auth(world.releaseManager.token),
      {
        state: 'success',
        description: 'went out',
      },
    );
    expect(posted.status).toBe(201);
    const statusPath = `${repoPath}/deployments/${deploymentId}/statuses/${posted.json().id}`;
    const status = await call('GET', statusPath, auth(world.developer.token));
    expect([status.status, status.json()]).toEqual([200, posted.json()]);
    expect((await call('GET', `${statusPath}9`, auth(world.developer.token))).status).toBe(404);
    expect((await call('GET', statusPath, auth(world.outsider.token))).status).toBe(404);
  });
});
