import fc from 'fast-check';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { rangeCondition } from '../../lib/domain/releases';
import { parseRange } from '../../lib/domain/versions';
import { sql } from '../../lib/infra/db';
import { usePool } from '../helpers/world';

// The sort key is a Postgres function (migrations/0003), so its tests run on Postgres: it is the one definition.
const pool = usePool();

async function keys(versions: string[]): Promise<string[]> {
  const rows = await pool.query(
    sql`SELECT semver_sort_key(v) AS key FROM unnest(${versions}::text[]) WITH ORDINALITY AS t(v, n) ORDER BY n`,
  );
  return rows.map((row) => row.key as string);
}

/** Byte-wise order, which is what COLLATE "C" gives in Postgres (the keys are ASCII). */
const byteCompare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

const identifier = fc.oneof(
  fc.nat({ max: 12 }).map(String),
  fc.constantFrom('0', '1', '10', '99999999999'),
  fc.constantFrom('alpha', 'beta', 'rc', 'a', 'b', 'A', 'Z', 'alpha-1', 'x-y', '-', '0a', 'a0', '--'),
);
const version = fc
  .record({
    major: fc.oneof(fc.nat({ max: 3 }), fc.nat({ max: 1_000_000 })),
    minor: fc.nat({ max: 11 }),
    patch: fc.nat({ max: 11 }),
    pre: fc.array(identifier, { maxLength: 3 }),
    build: fc.option(fc.constantFrom('build.1', 'sha.abc', '001'), { nil: undefined }),
  })
  .map(
    ({ major, minor, patch, pre, build }) =>
      `${major}.${minor}.${patch}${pre.length ? `-${pre.join('.')}` : ''}${build ? `+${build}` : ''}`,
  );

describe('semver_sort_key', () => {
  it('orders the precedence examples of the SemVer 2.0.0 specification', async () => {
    const spec = [
      '1.0.0-alpha',
      '1.0.0-alpha.1',
      '1.0.0-alpha.beta',
      '1.0.0-beta',
      '1.0.0-beta.2',
      '1.0.0-beta.11',
      '1.0.0-rc.1',
      '1.0.0',
      '2.0.0',
      '2.1.0',
      '2.1.1',
    ];
    const shuffled = [...spec].reverse();
    const k = await keys(shuffled);
    const sorted = shuffled.map((v, i) => [v, k[i]!] as const).sort((a, b) => byteCompare(a[1], b[1]));
    expect(sorted.map(([v]) => v)).toEqual(spec);
  });

  it.each([
    ['1.10.0', '1.9.0'],
    ['2.0.0-rc.10', '2.0.0-rc.2'],
    ['10.0.0', '9.99.99'],
    ['1.0.0', '1.0.0-rc.1'],
    ['1.0.0-alpha.beta', '1.0.0-alpha.1'],
    ['1.0.0-alpha.1', '1.0.0-alpha'],
  ])('puts %s above %s', async (higher, lower) => {
    const [h, l] = await keys([higher, lower]);
    expect(byteCompare(h!, l!)).toBe(1);
  });

  it('ignores build metadata', async () => {
    const [a, b, c] = await keys(['1.0.0+build.1', '1.0.0+build.2', '1.0.0']);
    expect(a).toBe(b);
    expect(a).toBe(c);
  });

  it("orders generated versions exactly as the semver library's compare does", async () => {
    let pairs = 0;
    let generated = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(version, { minLength: 20, maxLength: 60 }), async (versions) => {
        generated += versions.length;
        const k = await keys(versions);
        for (let i = 0; i < versions.length; i += 1) {
          for (let j = i + 1; j < versions.length; j += 1) {
            pairs += 1;
            if (byteCompare(k[i]!, k[j]!) !== semver.compare(versions[i]!, versions[j]!)) return false;
          }
        }
        return true;
      }),
      { numRuns: 150 },
    );
    expect(generated).toBeGreaterThan(3000);
    expect(pairs).toBeGreaterThan(25_000);
  });
});

describe('version ranges in SQL', () => {
  const range = fc.oneof(
    fc.constantFrom(
      '*',
      '^1.4',
      '~1.2.3',
      '>=1.2.0 <2.0.0',
      '1.x || 2.x',
      '1.2.3 - 2.3.4',
      '<1.0.0',
      '>=1.0.0-rc.1 <1.0.1',
    ),
    fc.tuple(fc.constantFrom('^', '~', '>=', '<', '<=', '>', ''), version).map(([op, v]) => `${op}${v}`),
    fc.tuple(version, version).map(([a, b]) => `${a} - ${b}`),
  );

  it('matches exactly the versions semver.satisfies accepts, pre-release rule included', async () => {
    await fc.assert(
      fc.asyncProperty(range, fc.array(version, { minLength: 1, maxLength: 30 }), async (r, versions) => {
        const sets = parseRange(r);
        if (sets === null) return semver.validRange(r) === null;
        const rows = await pool.query(sql`
          SELECT r.version FROM (
            SELECT v AS version, semver_sort_key(v) COLLATE "C" AS version_key,
                   split_part(split_part(v, '+', 1), '-', 1) AS version_core,
                   strpos(split_part(v, '+', 1), '-') > 0 AS prerelease
            FROM unnest(${versions}::text[]) AS v) r
          WHERE ${rangeCondition(sets)}`);
        const matched = new Set(rows.map((row) => row.version as string));
        return versions.every((v) => matched.has(v) === semver.satisfies(v, r));
      }),
      { numRuns: 300 },
    );
  });
});
