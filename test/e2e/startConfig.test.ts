import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const exec = promisify(execFile);

describe('npm start with an invalid configuration', () => {
  it('exits with code 1 and a message naming the variable and its bad value', async () => {
    const failed = await exec(process.execPath, ['scripts/start.mjs'], {
      env: { ...process.env, PORT: 'eighty' },
    }).then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => ({ code: err.code, stderr: err.stderr }),
    );
    expect(failed.code).toBe(1);
    expect(failed.stderr.trim()).toBe(
      '[gitweave] cannot start: PORT must be a whole number from 0 to 65535, got "eighty"',
    );
  });
});
