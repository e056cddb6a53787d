import type { Endpoint } from './endpoints';
import { load, type Measurement } from './load';
import { memoryOf, processTree } from './procs';
import { startNpm } from './startup';

type Memory = ReturnType<typeof memoryOf>;

export interface MemoryCheck {
  afterWarmup: Memory;
  afterLoad: Memory;
  /** after-load RSS ÷ after-warm-up RSS */
  growth: number | null;
  postgresAfterLoad: Memory;
  samples: Array<{ s: number; rssMiB: number | null }>;
  load: Measurement;
}

export async function memoryCheck(
  databaseUrl: string,
  artifactsDir: string,
  endpoints: Endpoint[],
  options: {
    warmupS: number;
    seconds: number;
    connections: number;
    postgresPids: () => number[];
    log: (line: string) => void;
  },
): Promise<MemoryCheck> {
  const { origin, group } = await startNpm(databaseUrl, artifactsDir);
  try {
    const tree = () => memoryOf(processTree(group.child.pid!));
    const targets = endpoints.map((endpoint) => endpoint.target);
    const { connections } = options;
    await load(origin, targets, { connections, durationS: options.warmupS });
    const afterWarmup = tree();
    options.log(
      `memory: npm start tree ${afterWarmup.rssMiB} MiB RSS (${afterWarmup.processes} processes) after warm-up`,
    );
    const samples: MemoryCheck['samples'] = [{ s: 0, rssMiB: afterWarmup.rssMiB }];
    const started = Date.now();
    const sampler = setInterval(
      () => samples.push({ s: Math.round((Date.now() - started) / 1000), rssMiB: tree().rssMiB }),
      5000,
    );
    const mixed = await load(origin, targets, { connections, durationS: options.seconds }).finally(() =>
      clearInterval(sampler),
    );
    const afterLoad = tree();
    samples.push({ s: Math.round((Date.now() - started) / 1000), rssMiB: afterLoad.rssMiB });
    const postgresAfterLoad = memoryOf(options.postgresPids());
    options.log(
      `memory: ${afterLoad.rssMiB} MiB RSS after ${options.seconds} s of mixed load (${mixed.rps} req/s, ` +
        `${mixed.unexpected} non-2xx); Postgres ${postgresAfterLoad.rssMiB ?? '–'} MiB RSS, ${postgresAfterLoad.pssMiB ?? '–'} MiB PSS`,
    );
    const growth =
      afterWarmup.rssMiB && afterLoad.rssMiB ? Math.round((afterLoad.rssMiB / afterWarmup.rssMiB) * 1000) / 1000 : null;
    return { afterWarmup, afterLoad, growth, postgresAfterLoad, samples, load: mixed };
  } catch (err) {
    throw new Error(`npm start: ${String(err)}\n${group.output.join('\n')}`);
  } finally {
    await group.stop();
  }
}
