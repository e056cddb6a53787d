import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { MAX_BUFFERED_FILE_BYTES } from '../../lib/http/download';
import { api, download, onServerDoor } from '../helpers/api';
import { writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

const { world } = useWorld();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();
const content = (id: string) => `/repos/${world.repo.id}/artifacts/${id}/content`;

async function register(name: string, bytes: Buffer) {
  const file = writeBuildFile(world.repo.id, `e2e-dl/${name}`, bytes);
  const res = await api('POST', `/repos/${world.repo.id}/artifacts`, {
    token: world.developer.token,
    json: { name, path: file, contentType: 'application/x-tar' },
  });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, absolute: path.join(inject('artifactsDir'), file) };
}

describe('downloading artifacts over HTTP', () => {
  const small = Buffer.from('a release file, small enough for any door\n'.repeat(100));
  let id: string;
  beforeAll(async () => {
    ({ id } = await register('app-1.0.0.tar', small));
  });

  it('answers the bytes with their length, type, name and digests', async () => {
    const res = await download(content(id), { token: world.developer.token });
    expect(res.status).toBe(200);
    expect(res.bytes.equals(small)).toBe(true);
    // serverless-offline (hapi) gzips a body for a client that accepts it, and sends no Content-Length then
    expect(res.headers.get('content-length')).toBe(onServerDoor ? String(small.length) : null);
    expect(res.headers.get('content-encoding')).toBe(onServerDoor ? null : 'gzip');
    expect(Object.fromEntries(res.headers)).toMatchObject({
      'content-type': 'application/x-tar',
      'content-disposition': `attachment; filename="app-1.0.0.tar"; filename*=UTF-8''app-1.0.0.tar`,
      etag: `"${sha256(small).toString('hex')}"`,
      'repr-digest': `sha-256=:${sha256(small).toString('base64')}:`,
      'accept-ranges': 'bytes',
    });
  });

  it('answers a range with 206, a range past the end with 416, and a known ETag with 304', async () => {
    const token = world.developer.token;
    const part = await download(content(id), { token, headers: { range: 'bytes=10-19' } });
    expect([part.status, part.headers.get('content-range')]).toEqual([206, `bytes 10-19/${small.length}`]);
    expect(part.bytes.equals(small.subarray(10, 20))).toBe(true);
    const past = await download(content(id), { token, headers: { range: `bytes=${small.length}-` } });
    expect([past.status, past.headers.get('content-range')]).toEqual([416, `bytes */${small.length}`]);
    expect(past.body).toMatchObject({ status: 416, title: 'Range Not Satisfiable' });
    const cached = await download(content(id), {
      token,
      headers: { 'if-none-match': `"${sha256(small).toString('hex')}"` },
    });
    expect([cached.status, cached.bytes.length]).toEqual([304, 0]);
  });

  it('refuses a file altered on the volume with a 409 problem that says so', async () => {
    const altered = await register('altered.tar', Buffer.from('original'));
    fs.writeFileSync(altered.absolute, 'tampered');
    const res = await download(content(altered.id), { token: world.developer.token });
    expect(res.status).toBe(409);
    expect(res.body.detail).toContain('was altered on the artifacts volume');
  });

  it('answers 404 to a member of another org', async () => {
    expect((await download(content(id), { token: world.outsider.token })).status).toBe(404);
  });
});

describe('a file larger than a Lambda response', () => {
  const big = Buffer.alloc(MAX_BUFFERED_FILE_BYTES + 123_456, 'gitweave');
  let id: string;
  beforeAll(async () => {
    ({ id } = await register('big.tar', big));
  });

  it('comes whole in open ranges on any door, each answer cut to what the door can carry', async () => {
    const parts: Buffer[] = [];
    for (let offset = 0; offset < big.length; ) {
      const res = await download(content(id), {
        token: world.developer.token,
        headers: { range: `bytes=${offset}-` },
      });
      expect(res.status).toBe(206);
      parts.push(res.bytes);
      offset += res.bytes.length;
    }
    expect(parts.length).toBe(onServerDoor ? 1 : 2);
    expect(sha256(Buffer.concat(parts)).equals(sha256(big))).toBe(true);
  });

  // npm start's server streams any size; serverless-offline, like Lambda, answers at most MAX_BUFFERED_FILE_BYTES
  if (onServerDoor)
    it('is streamed whole by the server', async () => {
      const res = await download(content(id), { token: world.developer.token });
      expect([res.status, res.headers.get('content-length')]).toEqual([200, String(big.length)]);
      expect(sha256(res.bytes).equals(sha256(big))).toBe(true);
    });
  else
    it('is a 413 on the Lambda emulator, which tells the client to ask for ranges', async () => {
      const res = await download(content(id), { token: world.developer.token });
      expect([res.status, res.headers.get('accept-ranges')]).toEqual([413, 'bytes']);
      expect(res.body.detail).toContain('ask for it in parts with Range');
    });
});
