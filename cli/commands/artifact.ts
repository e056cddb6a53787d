import fs from 'node:fs';
import path from 'node:path';
import type { Artifact } from '../../schemas/artifacts';
import { call, resolveRepo } from '../api';
import { CliError, type Command } from '../args';

/** artifact add: a file uploaded, or one already on the artifacts volume registered. */
export const artifact: Command = {
  usage: `  artifact add <file> --repo <repo> [--name <name>]       upload a file as an artifact
  artifact add --path <path> --repo <repo> [--name <n>]   register a file already on the artifacts volume`,
  options: { repo: { type: 'string' }, name: { type: 'string' }, path: { type: 'string' } },
  async run(context) {
    const { api, args } = context;
    if (args[0] !== 'add') throw context.usageError(`unknown command: artifact ${args[0] ?? ''}`);
    const repoRef = context.string('repo') ?? process.env.GITWEAVE_REPO;
    if (!repoRef) throw new CliError('artifact add needs --repo <repo> (or GITWEAVE_REPO)', 2);
    const repo = await resolveRepo(api, repoRef);
    const onVolume = context.string('path');
    const name = context.string('name');
    let made: Artifact;
    if (onVolume) {
      if (args.length !== 1) throw new CliError('artifact add --path <path> takes no file', 2);
      made = await call<Artifact>(api, 'POST', `/repos/${repo}/artifacts`, {
        json: { name: name ?? path.basename(onVolume), path: onVolume },
      });
    } else {
      const file = args[1];
      if (args.length !== 2 || file === undefined)
        throw new CliError('artifact add takes a file (or --path <path>)', 2);
      const bytes = await fs.promises.readFile(file).catch((err: NodeJS.ErrnoException) => {
        throw new CliError(`cannot read ${file}: ${err.code ?? err.message}`);
      });
      const query = new URLSearchParams({ name: name ?? path.basename(file) });
      made = await call<Artifact>(api, 'POST', `/repos/${repo}/artifacts?${query}`, { bytes });
    }
    return {
      json: made,
      human: `artifact ${made.id}  ${made.name}  ${made.sizeBytes} bytes  sha256 ${made.sha256}`,
    };
  },
};
