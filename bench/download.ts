/**
 * The download bench (`npm run bench -- --only=download`): one artifact of `sizeBytes` (1 GiB by default)
 * on a volume on disk, registered and downloaded through `npm start`, as curl fetches it (or Node's http client where
 * there is no curl). It measures the server's resident memory while serving it (sampled every 20 ms, and its peak
 * from /proc's VmHWM, reset just before), against its size before the download; and the download's MB/s against
 * `cat` of the same file to /dev/null in the same run, both from a warm page cache, median of `runs` each; and, to
 * tell our overhead from Node's and TCP's, against a bare node:http server that pipes the same file (no auth, no
 * database, no checks), also in the same run.
 * The file is deleted at the end.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import createConnectionPool from '@databases/pg';
import { createOrg, createRepo, createUser } from '../lib/domain/orgs';
import { freePort } from '../scripts/lib/net';
import { ROOT } from './doors';
import { memoryOf, processTree, spawnGroup, untilAnswers } from './procs';
import { npmStartEnv } from './startup';

export interface DownloadBench {
  sizeBytes: number;
  runs: number;
  client: 'curl' | 'node';
  /** MB/s (10^6 bytes a second) of each run */
  downloadMBps: number[];
  catMBps: number[];
  /** a bare node:http server piping the file (fs.createReadStream(…).pipe(res)) */
  barePipeMBps: number[];
  /** median download MB/s ÷ median cat MB/s */
  ratio: number;
  /** median download MB/s ÷ median bare pipe MB/s */
  ratioToBarePipe: number;
  memory: {
    /** the npm start tree's RSS before the first download, MiB */
    beforeMiB: number;
    /** the highest RSS sampled while downloading, MiB, and its growth over `beforeMiB` */
    peakSampledMiB: number;
    growthMiB: number;
    /** the server process's own peak (VmHWM after a reset of it), MiB, and its growth over its RSS then */
    serverPeakMiB: number | null;
    serverGrowthMiB: number | null;
    /** growth ÷ file size: flat is near 0, holding the file would be 1 */
    growthOfFile: number;
    samples: number;
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (kB: number) => Math.round((kB / 1024) * 10) / 10;
const round = (value: number, places = 2) => Math.round(value * 10 ** places) / 10 ** places;

/** `size` bytes of a repeated random MiB, written in MiB chunks (the content does not matter, only that it is real). */
function writeFile(file: string, size: number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const block = randomBytes(1024 * 1024);
  const fd = fs.openSync(file, 'w');
  try {
    for (let written = 0; written < size; written += block.length) {
      fs.writeSync(fd, block, 0, Math.min(block.length, size - written));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function kBOf(pid: number, field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The node process of the tree that serves (the one holding the listening socket: the deepest node). */
function serverPid(root: number): number {
  const nodes = processTree(root).filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'node';
    } catch {
      return false;
    }
  });
  return nodes.at(-1) ?? root;
}

/** The bare reference: node:http piping the file to every request, as little as a Node server can do. */
const BARE_PIPE = `
const http = require('node:http'), fs = require('node:fs');
const size = fs.statSync(process.env.FILE).size;
http.createServer((req, res) => {
  if (req.url === '/health') return res.end('ok');
  res.writeHead(200, { 'content-length': size });
  fs.createReadStream(process.env.FILE, { highWaterMark: 1024 * 1024 }).pipe(res);
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

const run = promisify(execFile);

/** cat of the file to /dev/null, in milliseconds (run asynchronously, so that the memory sampler keeps sampling). */
async function timedCat(file: string): Promise<number> {
  const started = performance.now();
  await run('sh', ['-c', 'cat "$0" > /dev/null', file]);
  return performance.now() - started;
}

/** One download to nowhere, by curl or by Node's http client: its milliseconds and the bytes received. */
async function timedDownload(
  client: 'curl' | 'node',
  url: string,
  token: string,
): Promise<{ ms: number; bytes: number; status: number }> {
  const started = performance.now();
  if (client === 'curl') {
    const { stdout } = await run(
      'curl',
      ['-s', '-o', '/dev/null', '-H', `authorization: Bearer ${token}`, '-w', '%{http_code} %{size_download}', url],
      { encoding: 'utf8' },
    );
    const [status, bytes] = stdout.trim().split(' ').map(Number) as [number, number];
    return { ms: performance.now() - started, bytes, status };
  }
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers: { authorization: `Bearer ${token}` } }, (res) => {
        let bytes = 0;
        res.on('data', (chunk: Buffer) => {
          bytes += chunk.length;
        });
        res.on('end', () => resolve({ ms: performance.now() - started, bytes, status: res.statusCode ?? 0 }));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

export async function downloadBench(
  databaseUrl: string,
  options: { sizeBytes: number; runs: number; log: (line: string) => void },
): Promise<DownloadBench> {
  const { sizeBytes, runs, log } = options;
  // on the disk of the checkout (data/ is ignored by git), never a tmpfs, whose pages would count as memory
  const artifactsDir = path.join(ROOT, 'data', `bench-download-${process.pid}`);
  const pool = createConnectionPool({ connectionString: databaseUrl, bigIntMode: 'number', poolSize: 2 });
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const group = spawnGroup('npm', ['start'], {
    cwd: ROOT,
    env: { ...npmStartEnv(databaseUrl, artifactsDir), PORT: String(port), ARTIFACT_HASH_DEADLINE_MS: '600000' },
  });
  let bare: ReturnType<typeof spawnGroup> | undefined;
  try {
    const org = await createOrg(pool, `bench-download-${randomBytes(4).toString('hex')}`);
    const repo = await createRepo(pool, org.slug, 'download');
    const user = await createUser(pool, 'gitweave-bench-download', { orgSlug: org.slug, role: 'release_manager' });
    const relative = `builds/${repo.id}/bench-${sizeBytes}.bin`;
    const file = path.join(artifactsDir, relative);
    log(`download: writing ${sizeBytes} bytes to ${path.relative(ROOT, file)}`);
    writeFile(file, sizeBytes);
    await untilAnswers(`${origin}/api/v1/health`, performance.now(), 120_000, () => group.child.exitCode === null);
    const registered = await fetch(`${origin}/api/v1/repos/${repo.id}/artifacts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench.bin', path: relative }),
    });
    const artifact = (await registered.json()) as { id: string; sizeBytes: number };
    if (registered.status !== 201) throw new Error(`registering the file: ${JSON.stringify(artifact)}`);
    const url = `${origin}/api/v1/repos/${repo.id}/artifacts/${artifact.id}/content`;
    const client = spawnSync('curl', ['--version']).status === 0 ? 'curl' : 'node';
    const barePort = await freePort();
    bare = spawnGroup(process.execPath, ['-e', BARE_PIPE], {
      cwd: ROOT,
      env: { ...process.env, FILE: file, PORT: String(barePort) },
    });
    const bareUrl = `http://127.0.0.1:${barePort}/`;
    await untilAnswers(`${bareUrl}health`, performance.now(), 30_000, () => bare?.child.exitCode === null);

    // warm: the server's download path loaded, the file in the page cache for both readers
    await timedDownload(client, `${url}`, user.token);
    await timedCat(file);
    const tree = () => memoryOf(processTree(group.child.pid!)).rssMiB ?? 0;
    const server = serverPid(group.child.pid!);
    const beforeMiB = tree();
    const serverBeforeKB = kBOf(server, 'VmRSS');
    // VmHWM starts again from the current RSS (clear_refs 5), so what it reads after is this download's peak
    let peakReset = true;
    try {
      fs.writeFileSync(`/proc/${server}/clear_refs`, '5');
    } catch {
      peakReset = false;
    }
    // sampled only while npm start serves (the cat and bare-pipe runs between would only add noise)
    let peakSampledMiB = beforeMiB;
    let samples = 0;
    let serving = false;
    const sampler = setInterval(() => {
      if (!serving) return;
      peakSampledMiB = Math.max(peakSampledMiB, tree());
      samples += 1;
    }, 20);

    const downloadMBps: number[] = [];
    const catMBps: number[] = [];
    const barePipeMBps: number[] = [];
    const rate = (ms: number) => round(sizeBytes / 1e6 / (ms / 1000), 1);
    try {
      for (let run = 0; run < runs; run++) {
        serving = true;
        const got = await timedDownload(client, url, user.token).finally(() => {
          serving = false;
        });
        if (got.status !== 200 || got.bytes !== sizeBytes) {
          throw new Error(`download answered ${got.status} with ${got.bytes} of ${sizeBytes} bytes`);
        }
        downloadMBps.push(rate(got.ms));
        catMBps.push(rate(await timedCat(file)));
        barePipeMBps.push(rate((await timedDownload(client, bareUrl, user.token)).ms));
        log(
          `download: run ${run + 1}: ${downloadMBps.at(-1)} MB/s through npm start, cat ${catMBps.at(-1)} MB/s, ` +
            `bare node:http pipe ${barePipeMBps.at(-1)} MB/s`,
        );
      }
    } finally {
      clearInterval(sampler);
    }
    // read after the loop: the bare server's downloads do not touch npm start's memory
    const serverPeakKB = peakReset ? kBOf(server, 'VmHWM') : null;
    const growthMiB = round(peakSampledMiB - beforeMiB, 1);
    return {
      sizeBytes,
      runs,
      client,
      downloadMBps,
      catMBps,
      barePipeMBps,
      ratio: round(median(downloadMBps) / median(catMBps), 3),
      ratioToBarePipe: round(median(downloadMBps) / median(barePipeMBps), 3),
      memory: {
        beforeMiB,
        peakSampledMiB,
        growthMiB,
        serverPeakMiB: serverPeakKB === null ? null : mib(serverPeakKB),
        serverGrowthMiB: serverPeakKB === null || serverBeforeKB === null ? null : mib(serverPeakKB - serverBeforeKB),
        growthOfFile: round((Math.max(growthMiB, 0) * 1024 * 1024) / sizeBytes, 4),
        samples,
      },
    };
  } catch (err) {
    throw new Error(`download bench: ${String(err)}\n${group.output.join('\n')}`);
  } finally {
    await bare?.stop();
    await group.stop();
    await pool.dispose();
    fs.rmSync(artifactsDir, { recursive: true, force: true });
  }
}

export function downloadMarkdown(result: DownloadBench): string {
  const m = result.memory;
  return [
    `## Download of a ${round(result.sizeBytes / 2 ** 30, 2)} GiB artifact through npm start (${result.client}, ${result.runs} runs)`,
    '',
    '| measure | value |',
    '| --- | ---: |',
    `| download MB/s (median; each run) | ${median(result.downloadMBps)} (${result.downloadMBps.join(', ')}) |`,
    `| cat to /dev/null MB/s (median; each run) | ${median(result.catMBps)} (${result.catMBps.join(', ')}) |`,
    `| bare node:http pipe of the file MB/s (median; each run) | ${median(result.barePipeMBps)} (${result.barePipeMBps.join(', ')}) |`,
    `| download ÷ cat | ${result.ratio} |`,
    `| download ÷ bare node:http pipe | ${result.ratioToBarePipe} |`,
    `| npm start tree RSS before, MiB | ${m.beforeMiB} |`,
    `| highest RSS sampled while serving, MiB (growth) | ${m.peakSampledMiB} (+${m.growthMiB}) |`,
    `| server process peak RSS (VmHWM), MiB (growth) | ${m.serverPeakMiB ?? 'n/a'} (+${m.serverGrowthMiB ?? 'n/a'}) |`,
    `| growth ÷ file size | ${m.growthOfFile} |`,
    '',
  ].join('\n');
}
