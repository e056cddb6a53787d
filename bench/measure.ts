/**
 * The throughput runs: each endpoint on each door in turn, close together in time, so that the ratios between
 * doors hold however busy the machine is. Reads go to all four servers, writes to the two doors of the API.
 */
import type { Door, DoorName } from './doors';
import { type Endpoint, probe } from './endpoints';
import { countCpu, load, type Measurement } from './load';

export interface EndpointResult {
  name: string;
  kind: 'read' | 'write';
  request: string;
  /** per door, its measurement, or why it was not measured */
  doors: Partial<Record<DoorName, Measurement | { problem: string }>>;
}

export const measured = (value: Measurement | { problem: string } | undefined): Measurement | undefined =>
  value && 'rps' in value ? value : undefined;

export async function measureEndpoints(
  endpoints: Endpoint[],
  doors: Door[],
  options: {
    connections: number;
    durationS: number;
    warmupS: number;
    postgresPids: () => number[];
    log: (line: string) => void;
  },
): Promise<EndpointResult[]> {
  const results: EndpointResult[] = [];
  for (const endpoint of endpoints) {
    const result: EndpointResult = { name: endpoint.name, kind: endpoint.kind, request: endpoint.request, doors: {} };
    // the references serve reads only
    const serving = doors.filter(
      (door) => endpoint.kind === 'read' || door.name === 'server' || door.name === 'offline',
    );
    for (const door of serving) {
      const problem = await probe(door.origin, endpoint).catch((err: unknown) => String(err));
      if (problem) {
        result.doors[door.name] = { problem };
        options.log(`${endpoint.name} on ${door.name}: not measured, answered ${problem.slice(0, 160)}`);
        continue;
      }
      const run = (durationS: number) =>
        load(door.origin, [endpoint.target], { connections: options.connections, durationS });
      await run(options.warmupS);
      const cpu = countCpu(door.pid, options.postgresPids);
      const m = await run(options.durationS);
      m.cpu = cpu.stop(m.responses);
      result.doors[door.name] = m;
      options.log(
        `${endpoint.name} on ${door.name}: ${m.rps} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms, ${m.errors} errors, ` +
          `${m.unexpected} unexpected; CPU µs/req server ${m.cpu.serverUs}, Postgres ${m.cpu.postgresUs}; ` +
          `other processes ${m.cpu.otherShare}`,
      );
    }
    results.push(result);
  }
  return results;
}
