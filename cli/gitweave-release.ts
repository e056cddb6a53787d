#!/usr/bin/env node
/**
 * gitweave-release: the GitWeave Releases API for CI pipelines. Configured by GITWEAVE_URL and GITWEAVE_TOKEN
 * (or --url and --token). Human output by default, JSON with --json; any error exits non-zero with the problem's
 * message. Writes carry an Idempotency-Key, so the retries after a network error or a 503 never write twice.
 * One module per command under cli/commands; the arguments (cli/args.ts) and the API calls (cli/api.ts) are shared.
 */
import { version } from '../package.json';
import { CliError, type Command, parse } from './args';
import { artifact } from './commands/artifact';
import { approve, deploy, deployment, reject } from './commands/deploy';
import { download } from './commands/download';
import { history, rollback, status } from './commands/environments';
import { metrics } from './commands/metrics';
import { nextVersion, notes } from './commands/notes';
import { release, releases } from './commands/release';
import { token } from './commands/token';
import { watch } from './commands/watch';

/** Every command, in the order the usage lists them. */
const COMMANDS: Record<string, Command> = {
  artifact,
  release,
  notes,
  'next-version': nextVersion,
  deploy,
  deployment,
  approve,
  reject,
  rollback,
  history,
  download,
  metrics,
  releases,
  status,
  watch,
  token,
};

const USAGE = `usage: gitweave-release [--url URL] [--token TOKEN] [--json] <command>
       gitweave-release --version

${Object.values(COMMANDS)
  .map((command) => command.usage)
  .join('\n')}

  <repo> is org/name (acme/web) or the repo's id. GITWEAVE_URL (e.g. http://127.0.0.1:3000) and GITWEAVE_TOKEN configure it;
  GITWEAVE_REPO may stand in for --repo. Exit codes: 0 done, 1 an error, 2 bad usage, 3 a download whose bytes
  do not match the artifact's SHA-256 (nothing of it is kept).`;

/** --version: the package's version, as /api/v1/health says the server's */
const VERSION: Command = { usage: '', run: async () => ({ json: { version }, human: version }) };

async function main(argv: string[]) {
  const [command, context] = parse(argv, COMMANDS, USAGE, VERSION);
  const result = await command.run(context);
  return { answer: result.json, human: result.human, exitCode: result.exitCode, asJson: context.json };
}

main(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(`${result.asJson ? JSON.stringify(result.answer, null, 2) : result.human}\n`);
    if (result.exitCode) process.exitCode = result.exitCode;
  },
  (err: unknown) => {
    process.stderr.write(`gitweave-release: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(err instanceof CliError ? err.exitCode : 1);
  },
);
