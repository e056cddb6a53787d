import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Artifact } from '../../schemas/artifacts';
import type { Release } from '../../schemas/releases';
import { call, fetchContent, problemOf, resolveRepo } from '../api';
import { CliError, type Command, type Options } from '../args';

/** The file name an artifact is saved under in the target folder: its name, never a path or a special entry. */
function fileNameOf(artifact: Artifact): string {
  const name = path.basename(artifact.name.replace(/\\/g, '/'));
  return name === '' || name === '.' || name === '..' ? `artifact-${artifact.id}` : name;
}

/**
 * Downloads `artifact` into `dir`: asks for the bytes from where it has got to (Range: bytes=N-, with If-Range on its
 * ETag, so a door that answers in parts, as Lambda does past 4 MiB, is followed to the end), hashes them as they are
 * written to a temporary file, and renames that into place only when their SHA-256 is the artifact's and the
 * server's Repr-Digest; otherwise the file is deleted and the error exits 3.
 */
async function downloadArtifact(options: Options, repo: string, artifact: Artifact, dir: string): Promise<string> {
  const target = path.join(dir, fileNameOf(artifact));
  const partial = `${target}.${randomUUID().slice(0, 8)}.part`;
  const file = await fs.promises.open(partial, 'wx');
  const hash = createHash('sha256');
  const digests = new Set<string>();
  let offset = 0;
  try {
    const apiPath = `/repos/${repo}/artifacts/${artifact.id}/content`;
    do {
      const ranged = artifact.sizeBytes > 0;
      const response = await fetchContent(
        options,
        apiPath,
        ranged ? { range: `bytes=${offset}-`, 'if-range': `"${artifact.sha256}"` } : {},
      );
      if (response.status !== 200 && response.status !== 206) throw await problemOf(response);
      const from =
        response.status === 206 ? Number(/^bytes (\d+)-/.exec(response.headers.get('content-range') ?? '')?.[1]) : 0;
      if (from !== offset)
        throw new CliError(`the server answered bytes from ${from}, not ${offset}, for ${artifact.name}`);
      const digest = /^sha-256=:([A-Za-z0-9+/=]+):/.exec(response.headers.get('repr-digest') ?? '')?.[1];
      if (digest) digests.add(Buffer.from(digest, 'base64').toString('hex'));
      if (!response.body) break;
      for await (const chunk of response.body) {
        await file.write(chunk);
        hash.update(chunk);
        offset += chunk.length;
      }
    } while (offset < artifact.sizeBytes);
    await file.close();
    const got = hash.digest('hex');
    const expected = new Set([artifact.sha256, ...digests]);
    if (expected.size !== 1 || !expected.has(got) || offset !== artifact.sizeBytes) {
      throw new CliError(
        `${artifact.name}: the downloaded bytes (${offset} bytes, SHA-256 ${got}) are not the artifact's (${artifact.sizeBytes} bytes, SHA-256 ${artifact.sha256}${digests.size ? `; the server's Repr-Digest says ${[...digests].join(', ')}` : ''}); nothing was kept`,
        3,
      );
    }
    await fs.promises.rename(partial, target);
    return target;
  } catch (err) {
    await file.close().catch(() => undefined);
    await fs.promises.rm(partial, { force: true });
    throw err;
  }
}

/** download: a release's artifacts (or the one named), each checked against its SHA-256. */
export const download: Command = {
  usage: `  download <repo> <version> [<name>] [--out <dir>]        download the release's artifacts (or the one named)
                                                          into <dir> (default .), each checked against its SHA-256`,
  options: { out: { type: 'string' } },
  async run(context) {
    const { api, args } = context;
    if (args.length !== 2 && args.length !== 3) throw context.usageError('download takes <repo> <version> [<name>]');
    const [repoRef, version, name] = args as [string, string, string | undefined];
    const repo = await resolveRepo(api, repoRef);
    const release = await call<Release>(api, 'GET', `/repos/${repo}/releases/${encodeURIComponent(version)}`);
    const chosen = name === undefined ? release.artifacts : release.artifacts.filter((a) => a.name === name);
    if (chosen.length === 0) {
      throw new CliError(
        name === undefined
          ? `release ${release.version} has no artifacts`
          : `release ${release.version} has no artifact named "${name}" (it has: ${release.artifacts.map((a) => a.name).join(', ') || 'none'})`,
      );
    }
    const names = chosen.map(fileNameOf);
    const twice = names.find((file, i) => names.indexOf(file) !== i);
    if (twice)
      throw new CliError(`release ${release.version} has two artifacts saved as "${twice}"; name the one to download`);
    const dir = context.string('out') ?? '.';
    await fs.promises.mkdir(dir, { recursive: true });
    const saved: { id: string; name: string; file: string; sizeBytes: number; sha256: string }[] = [];
    for (const artifact of chosen) {
      const file = await downloadArtifact(api, repo, artifact, dir);
      saved.push({
        id: artifact.id,
        name: artifact.name,
        file,
        sizeBytes: artifact.sizeBytes,
        sha256: artifact.sha256,
      });
    }
    return {
      json: saved,
      human: saved.map((a) => `${a.file}  ${a.sizeBytes} bytes  sha256 ${a.sha256}  verified`).join('\n'),
    };
  },
};
