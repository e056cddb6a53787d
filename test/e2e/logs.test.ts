import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Server, serve } from '../../scripts/lib/serve';
import { useWorld } from '../helpers/world';

const { world } = useWorld();
let server: Server;
let output = '';
const workFolder = `.esbuild-logs-${process.pid}`;

beforeAll(async () => {
  server = await serve({
    databaseUrl: inject('databaseUrl'),
    env: { ARTIFACTS_DIR: inject('artifactsDir'), LOG_LEVEL: 'info', ESBUILD_WORK_FOLDER: workFolder },
    output: 'pipe',
  });
  server.child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  server.child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
}, 120_000);
afterAll(async () => {
  await server?.stop();
  fs.rmSync(workFolder, { recursive: true, force: true });
});

describe('request logs', () => {
  it('write one JSON line per request with request id, route, status, duration and user id, and never a token or body', async () => {
    const headers = { authorization: `Bearer ${world.developer.token}`, 'content-type': 'application/json' };
    const created = await fetch(`${server.url}/repos/${world.repo.id}/releases`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ version: '1.0.0', notes: 'secret-notes-do-not-log' }),
    });
    const requestId = created.headers.get('x-request-id');
    await fetch(`${server.url}/repos/${world.repo.id}/releases`, { headers: { authorization: 'Bearer gwr_wrong' } });
    // the server writes a request's line after its answer: wait for both lines (complete lines only), not a guess
    const requestLines = () =>
      output
        .split('\n')
        .slice(0, -1)
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line))
        .filter((line) => line.msg === 'request');
    for (let i = 0; requestLines().length < 2; i++) {
      if (i > 1000) throw new Error(`two request lines never came: ${output}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const requests = requestLines();
    expect(requests).toContainEqual(
      expect.objectContaining({
        level: 30,
        requestId,
        route: 'POST /api/v1/repos/{repo}/releases',
        status: 201,
        durationMs: expect.any(Number),
        userId: world.developer.id,
      }),
    );
    expect(requests).toContainEqual(
      expect.objectContaining({ route: 'GET /api/v1/repos/{repo}/releases', status: 401 }),
    );
    expect(output).not.toContain(world.developer.token);
    expect(output).not.toContain('gwr_wrong');
    expect(output).not.toContain('secret-notes-do-not-log');
  });
});
