import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Every project's first global setup: the loopback guard (test/helpers/loopbackGuard.mjs) goes into this process and,
// through NODE_OPTIONS, into every Node process the run starts after it (the test workers, the servers they start,
// the CLI); its log of refused connections is read once the last project is done, and one line fails the run.
export const GUARD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'loopbackGuard.mjs');
let users = 0;

export default async function setup() {
  users++;
  if (!process.env.LOOPBACK_GUARD_LOG) {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'gitweave-guard-')), 'violations.log');
    fs.writeFileSync(log, '');
    process.env.LOOPBACK_GUARD_LOG = log;
    process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --import=${GUARD}`.trim();
    await import(GUARD);
  }
  return () => {
    if (--users > 0) return;
    const log = process.env.LOOPBACK_GUARD_LOG ?? '';
    const found = fs.existsSync(log) ? fs.readFileSync(log, 'utf8') : '';
    fs.rmSync(path.dirname(log), { recursive: true, force: true });
    if (found.trim()) {
      // vitest reports a failing teardown but may still exit 0: the exit code is set here too
      process.once('exit', () => {
        process.exitCode = 1;
      });
      throw new Error(`A test tried to reach beyond loopback (each is refused and listed here):\n${found}`);
    }
  };
}
