import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { handler as createArtifact } from '../../functions/createArtifact';
import { handler as downloadArtifact } from '../../functions/downloadArtifact';
import { MAX_BUFFERED_FILE_BYTES } from '../../lib/http/download';
import { createApp, type Served } from '../../server/app';
import { routes as allRoutes } from '../../server/routes';
import { invoke } from '../helpers/events';
import { writeBuildFile } from '../helpers/factories';
import { useWorld } from '../helpers/world';

// The download through npm start's server (server/app.ts), which streams the file from the handle the handler opened.
const { world } = useWorld();
const routes: Served[] = allRoutes()
  .filter((route) => route.name === 'downloadArtifact')
  .map((route) => ({ ...route, handler: downloadArtifact }));
const app = createApp(routes);
let port = 0;

beforeAll(async () => {
  await new Promise<void>((resolve) => app.server.listen(0, '127.0.0.1', resolve));
  port = (app.server.address() as net.AddressInfo).port;
});
afterAll(() => app.stop());

async function register(name: string, size: number) {
  const content = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) content.writeUInt32BE(i, i);
  const file = writeBuildFile(world.repo.id, `stream/${name}`, content);
  const res = await invoke(createArtifact, {
    path: `/api/v1/repos/${world.repo.id}/artifacts`,
    pathParameters: { repo: world.repo.id },
    body: { name, path: file },
    token: world.developer.token,
  });
  return { id: res.body.id as string, content, absolute: path.join(inject('artifactsDir'), file) };
}

/** A GET of the artifact's content, answering once its headers have come, with the response still to be read. */
function get(id: string, headers: Record<string, string> = {}): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    http
      .get(
        {
          port,
          host: '127.0.0.1',
          path: `/api/v1/repos/${world.repo.id}/artifacts/${id}/content`,
          headers: { authorization: `Bearer ${world.developer.token}`, ...headers },
        },
        resolve,
      )
      .on('error', reject);
  });
}

async function readAll(res: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Descriptors this process holds open on `file` (the server runs in this process). */
function openDescriptors(file: string): number {
  return fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;
}

async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('Server: downloads stream from the volume', () => {
  it('serves a file larger than a Lambda response whole, with its headers, and closes the file', async () => {
    const big = await register('big.bin', 3 * MAX_BUFFERED_FILE_BYTES + 5);
    const res = await get(big.id);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-length']).toBe(String(big.content.length));
    expect(res.headers.etag).toBe(`"${createHash('sha256').update(big.content).digest('hex')}"`);
    expect((await readAll(res)).equals(big.content)).toBe(true);
    await until(() => openDescriptors(big.absolute) === 0);
  });

  it('streams one range as a 206', async () => {
    const file = await register('ranged.bin', 10_000_000);
    const res = await get(file.id, { range: 'bytes=4096-9999999' });
    expect([res.statusCode, res.headers['content-range']]).toEqual([206, 'bytes 4096-9999999/10000000']);
    expect((await readAll(res)).equals(file.content.subarray(4096))).toBe(true);
  });

  it('closes the file when the client goes away mid-download', async () => {
    const file = await register('abandoned.bin', 64 * 1024 * 1024);
    const res = await get(file.id);
    await new Promise((resolve) => res.once('data', resolve));
    expect(openDescriptors(file.absolute)).toBe(1);
    res.destroy();
    await until(() => openDescriptors(file.absolute) === 0);
  });

  it('ends the connection, not the response, when the file is cut short while it is sent', async () => {
    const file = await register('truncated.bin', 64 * 1024 * 1024);
    const res = await get(file.id);
    res.pause();
    fs.truncateSync(file.absolute, 1024);
    res.resume();
    await expect(readAll(res)).rejects.toThrow(/aborted/);
    await until(() => openDescriptors(file.absolute) === 0);
  });
});
