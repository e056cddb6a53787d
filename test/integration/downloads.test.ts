import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { handler as createArtifact } from '../../functions/createArtifact';
import { handler as downloadArtifact } from '../../functions/downloadArtifact';
import { MAX_BUFFERED_FILE_BYTES } from '../../lib/http/download';
import { config } from '../../lib/infra/config';
import { sql } from '../../lib/infra/db';
import { invoke } from '../helpers/events';
import { tokenWith, writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// The download endpoint called as Lambda calls it (no streaming door: the bytes come back base64 in the result).
const { pool, world } = useWorld();
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const onVolume = (relative: string) => path.join(inject('artifactsDir'), relative);

async function register(name: string, content: string | Buffer, contentType?: string) {
  const file = writeBuildFile(world.repo.id, `dl/${sha256(name).slice(0, 12)}/${name}`, content);
  const res = await invoke(createArtifact, {
    path: `/api/v1/repos/${world.repo.id}/artifacts`,
    pathParameters: { repo: world.repo.id },
    body: { name, path: file, ...(contentType ? { contentType } : {}) },
    token: world.developer.token,
  });
  expect(res.status).toBe(201);
  return { id: res.body.id as string, file, absolute: onVolume(file) };
}

async function download(id: string, headers: Record<string, string> = {}, token = world.developer.token) {
  const res = await invoke(downloadArtifact, {
    path: `/api/v1/repos/${world.repo.id}/artifacts/${id}/content`,
    pathParameters: { repo: world.repo.id, id },
    headers,
    token,
  });
  const json = (res.headers['content-type'] ?? '').includes('json');
  return { ...res, bytes: json || res.body === undefined ? Buffer.alloc(0) : Buffer.from(res.body, 'base64') };
}

async function verifiedRow(id: string) {
  const [row] = await pool.query(
    sql`SELECT verified_size_bytes, verified_mtime_ns::text, verified_at FROM artifacts WHERE id = ${id}`,
  );
  return row;
}

const CONTENT = 'abcdefghijklmnopqrstuvwxyz';

describe('downloading an artifact', () => {
  let artifact: Awaited<ReturnType<typeof register>>;
  beforeAll(async () => {
    artifact = await register('app 1.0 “café”.tgz', CONTENT, 'application/gzip');
  });

  it('answers 200 with the bytes, their length, type, name, ETag and Repr-Digest', async () => {
    const res = await download(artifact.id);
    expect(res.status).toBe(200);
    expect(res.bytes.toString()).toBe(CONTENT);
    expect(res.headers).toMatchObject({
      'content-type': 'application/gzip',
      'content-length': '26',
      'content-disposition': `attachment; filename="app 1.0 _caf__.tgz"; filename*=UTF-8''app%201.0%20%E2%80%9Ccaf%C3%A9%E2%80%9D.tgz`,
      etag: `"${sha256(CONTENT)}"`,
      'repr-digest': `sha-256=:${createHash('sha256').update(CONTENT).digest('base64')}:`,
      'accept-ranges': 'bytes',
      'cache-control': 'private, no-cache',
    });
    expect(res.headers['content-range']).toBeUndefined();
  });

  it.each([
    ['bytes=2-5', 'cdef', 'bytes 2-5/26'],
    ['bytes=20-', 'uvwxyz', 'bytes 20-25/26'],
    ['bytes=-3', 'xyz', 'bytes 23-25/26'],
    ['bytes=24-1000', 'yz', 'bytes 24-25/26'],
    ['bytes=-1000', CONTENT, 'bytes 0-25/26'],
    ['BYTES = 0 - 0', 'a', 'bytes 0-0/26'],
  ])('answers Range: %s with 206, those bytes and Content-Range', async (range, bytes, contentRange) => {
    const res = await download(artifact.id, { range });
    expect(res.status).toBe(206);
    expect(res.bytes.toString()).toBe(bytes);
    expect(res.headers['content-range']).toBe(contentRange);
    expect(res.headers['content-length']).toBe(String(bytes.length));
    expect(res.headers['repr-digest']).toBe(`sha-256=:${createHash('sha256').update(CONTENT).digest('base64')}:`);
  });

  it.each([['bytes=26-'], ['bytes=1000-2000'], ['bytes=-0']])(
    'answers Range: %s, past the end, with a 416 problem and Content-Range: bytes */size',
    async (range) => {
      const res = await download(artifact.id, { range });
      expect(res.status).toBe(416);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.headers['content-range']).toBe('bytes */26');
      expect(res.body).toMatchObject({ status: 416, title: 'Range Not Satisfiable' });
    },
  );

  it.each([
    ['several ranges', 'bytes=0-1,4-5'],
    ['a backwards range', 'bytes=5-2'],
    ['another unit', 'items=0-1'],
    ['no numbers', 'bytes=-'],
    ['garbage', 'bytes=a-b'],
  ])('ignores a Range with %s and answers 200 with the whole file', async (_, range) => {
    const res = await download(artifact.id, { range });
    expect(res.status).toBe(200);
    expect(res.bytes.toString()).toBe(CONTENT);
  });

  it.each([
    ['its ETag', () => `"${sha256(CONTENT)}"`],
    ['its ETag, weak, among others', () => `"other", W/"${sha256(CONTENT)}"`],
    ['*', () => '*'],
  ])('answers If-None-Match naming %s with 304 and no body', async (_, value) => {
    const res = await download(artifact.id, { 'if-none-match': value(), range: 'bytes=0-1' });
    expect(res.status).toBe(304);
    expect(res.body).toBeUndefined();
    expect(res.headers.etag).toBe(`"${sha256(CONTENT)}"`);
  });

  it('answers If-None-Match with another ETag with the file', async () => {
    const res = await download(artifact.id, { 'if-none-match': `"${sha256('other')}"` });
    expect(res.status).toBe(200);
    expect(res.bytes.toString()).toBe(CONTENT);
  });

  it('honours Range only while If-Range names the file, else answers it whole', async () => {
    const same = await download(artifact.id, { range: 'bytes=0-2', 'if-range': `"${sha256(CONTENT)}"` });
    expect([same.status, same.bytes.toString()]).toEqual([206, 'abc']);
    const other = await download(artifact.id, { range: 'bytes=0-2', 'if-range': `"${sha256('old')}"` });
    expect([other.status, other.bytes.toString()]).toEqual([200, CONTENT]);
  });

  it('serves an empty file as 200 with no bytes', async () => {
    const empty = await register('empty.txt', '');
    const res = await download(empty.id);
    expect([res.status, res.headers['content-length'], res.bytes.length]).toEqual([200, '0', 0]);
    expect((await download(empty.id, { range: 'bytes=0-' })).status).toBe(416);
  });

  it('answers 404 to a member of another org, and 403 to a token without the read scope', async () => {
    expect((await download(artifact.id, {}, world.outsider.token)).status).toBe(404);
    const deployOnly = await tokenWith(pool, world.developer.id, ['deploy']);
    expect((await download(artifact.id, {}, deployOnly.token)).status).toBe(403);
  });
});

describe('downloading a file that changed on the volume', () => {
  it('records the file as verified when it is registered, so its first download does not hash it', async () => {
    const { id, absolute } = await register('recorded.bin', 'recorded');
    const row = await verifiedRow(id);
    expect(row.verified_size_bytes).toBe(8);
    expect(row.verified_mtime_ns).toBe(String(fs.statSync(absolute, { bigint: true }).mtimeNs));
    const res = await download(id);
    expect(res.status).toBe(200);
    expect((await verifiedRow(id)).verified_at).toEqual(row.verified_at);
  });

  it('hashes a touched file again, serves it when its content is the same, and records the new mtime', async () => {
    const { id, absolute } = await register('touched.bin', 'same bytes');
    const before = await verifiedRow(id);
    fs.utimesSync(absolute, new Date(), new Date(Date.now() + 60_000));
    const res = await download(id);
    expect([res.status, res.bytes.toString()]).toEqual([200, 'same bytes']);
    const after = await verifiedRow(id);
    expect(after.verified_mtime_ns).toBe(String(fs.statSync(absolute, { bigint: true }).mtimeNs));
    expect(after.verified_mtime_ns).not.toBe(before.verified_mtime_ns);
  });

  it('hashes a file never verified (registered before migration 0012) and records it', async () => {
    const { id } = await register('old.bin', 'old bytes');
    await pool.query(sql`UPDATE artifacts SET verified_size_bytes = NULL, verified_at = NULL WHERE id = ${id}`);
    expect((await download(id)).status).toBe(200);
    expect((await verifiedRow(id)).verified_size_bytes).toBe(9);
  });

  it.each([
    ['rewritten with the same size', (file: string) => fs.writeFileSync(file, 'EVIL bytes'), 'its SHA-256 is now'],
    [
      'rewritten with an mtime set back',
      (file: string) => {
        const { mtime } = fs.statSync(file);
        fs.writeFileSync(file, 'EVIL bytes');
        fs.utimesSync(file, mtime, mtime);
      },
      'its SHA-256 is now',
    ],
    ['grown', (file: string) => fs.appendFileSync(file, '!'), 'it is now 11 bytes, not the recorded 10'],
    ['deleted', (file: string) => fs.rmSync(file), 'the file is no longer there'],
    [
      'replaced by a symlink to the same bytes',
      (file: string) => {
        fs.writeFileSync(`${file}.copy`, 'good bytes');
        fs.rmSync(file);
        fs.symlinkSync(`${file}.copy`, file);
      },
      'the file is no longer there',
    ],
  ])('refuses a file %s with a 409 saying it was altered, and keeps refusing it', async (_, alter, why) => {
    const { id, absolute } = await register(`altered-${why.length}-${_.length}.bin`, 'good bytes');
    alter(absolute);
    for (const range of [undefined, 'bytes=0-1']) {
      const res = await download(id, range ? { range } : {});
      expect(res.status).toBe(409);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(res.body.detail).toContain('was altered on the artifacts volume since it was registered');
      expect(res.body.detail).toContain(why);
    }
  });

  it('answers 503 when hashing again outlasts the deadline, carries on, and serves the retry', async () => {
    const { id, absolute } = await register('slow.img', '');
    fs.truncateSync(absolute, 64 * 1024 * 1024);
    const deadline = config().artifactHashDeadlineMs;
    config().artifactHashDeadlineMs = 0;
    try {
      const res = await download(id);
      expect(res.status).toBe(409); // grown since registration: the size alone refuses it, no hash needed
      await pool.query(
        sql`UPDATE artifacts SET size_bytes = ${64 * 1024 * 1024}, sha256 = ${await sparseDigest(absolute)},
          verified_size_bytes = NULL WHERE id = ${id}`,
      );
      const late = await download(id, { range: 'bytes=0-9' });
      expect(late.status).toBe(503);
      expect(late.headers['retry-after']).toBe('1');
      expect(late.body.detail).toContain('it carries on: retry shortly');
      while ((await verifiedRow(id)).verified_size_bytes === null) await new Promise((r) => setTimeout(r, 20));
      const retry = await download(id, { range: 'bytes=0-9' });
      expect([retry.status, retry.bytes]).toEqual([206, Buffer.alloc(10)]);
    } finally {
      config().artifactHashDeadlineMs = deadline;
      fs.rmSync(absolute);
    }
  });
});

async function sparseDigest(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('a file larger than a Lambda response', () => {
  const size = MAX_BUFFERED_FILE_BYTES + 1000;
  let id: string;
  let content: Buffer;
  beforeAll(async () => {
    content = Buffer.alloc(size, 7);
    content.write('end', size - 3);
    ({ id } = await register('big.bin', content));
  });

  it('is a 413 telling the client to ask for ranges, when asked whole', async () => {
    const res = await download(id);
    expect(res.status).toBe(413);
    expect(res.headers['accept-ranges']).toBe('bytes');
    expect(res.body.detail).toBe(
      `This artifact is ${size} bytes and this server answers at most ${MAX_BUFFERED_FILE_BYTES} bytes at once (the Lambda response limit): ask for it in parts with Range: bytes=0-4194303, bytes=4194304-8388607, … (or bytes=N-, which is cut to that size).`,
    );
    expect((await download(id, { range: `bytes=0-${MAX_BUFFERED_FILE_BYTES}` })).status).toBe(413);
  });

  it('answers an open range with at most that many bytes, and the rest to the next one', async () => {
    const first = await download(id, { range: 'bytes=0-' });
    expect(first.status).toBe(206);
    expect(first.headers['content-range']).toBe(`bytes 0-${MAX_BUFFERED_FILE_BYTES - 1}/${size}`);
    const rest = await download(id, { range: `bytes=${MAX_BUFFERED_FILE_BYTES}-` });
    expect(rest.headers['content-range']).toBe(`bytes ${MAX_BUFFERED_FILE_BYTES}-${size - 1}/${size}`);
    expect(Buffer.concat([first.bytes, rest.bytes]).equals(content)).toBe(true);
  });
});
