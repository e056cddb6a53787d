import fs from 'node:fs';
import type { Release, ReleaseSummary } from '../../schemas/releases';
import { call, resolveRepo } from '../api';
import { CliError, type Command, table } from '../args';

/** release publish | delete: one release of a repo, named by its version or id. */
async function changeRelease(context: Parameters<Command['run']>[0], verb: 'publish' | 'delete') {
  const { api, args } = context;
  if (args.length !== 3) throw new CliError(`release ${verb} takes <repo> <version>`, 2);
  const repo = await resolveRepo(api, args[1] ?? '');
  const path = `/repos/${repo}/releases/${encodeURIComponent(args[2] ?? '')}`;
  if (verb === 'delete') {
    await call<null>(api, 'DELETE', path);
    return { json: { deleted: args[2] }, human: `release ${args[2]} deleted` };
  }
  const published = await call<Release>(api, 'PATCH', path, { json: { draft: false } });
  return { json: published, human: `release ${published.version} published  ${published.id}` };
}

/** release create | publish | delete: a version with its notes and artifacts (or a draft); publish; delete. */
export const release: Command = {
  usage: `  release create <repo> <version> [--title <t>] [--notes-file <f>] [--artifact <id>]... [--commit <sha>]
                 [--generate-notes] [--draft]             --commit: the commit it is built from; --generate-notes:
                                                          notes from the history since the previous release;
                                                          --draft: reserve the version, publish it later
  release publish <repo> <version>                        publish a draft
  release delete <repo> <version>                         delete a release that was never deployed`,
  options: {
    title: { type: 'string' },
    'notes-file': { type: 'string' },
    artifact: { type: 'string', multiple: true },
    commit: { type: 'string' },
    'generate-notes': { type: 'boolean', default: false },
    draft: { type: 'boolean', default: false },
  },
  async run(context) {
    const { api, args } = context;
    if (args[0] === 'publish' || args[0] === 'delete') return changeRelease(context, args[0]);
    if (args[0] !== 'create') throw context.usageError(`unknown command: release ${args[0] ?? ''}`);
    if (args.length !== 3) throw new CliError('release create takes <repo> <version>', 2);
    const notesFile = context.string('notes-file');
    const notes = notesFile ? await fs.promises.readFile(notesFile, 'utf8') : undefined;
    const artifactIds = context.strings('artifact');
    const title = context.string('title');
    const commit = context.string('commit');
    const repo = await resolveRepo(api, args[1] ?? '');
    const made = await call<Release>(api, 'POST', `/repos/${repo}/releases`, {
      json: {
        version: args[2],
        ...(title !== undefined ? { title } : {}),
        ...(notes !== undefined ? { notes } : {}),
        ...(artifactIds ? { artifactIds } : {}),
        ...(commit !== undefined ? { commit } : {}),
        ...(context.flag('generate-notes') ? { generateNotes: true } : {}),
        ...(context.flag('draft') ? { draft: true } : {}),
      },
    });
    return {
      json: made,
      human: `release ${made.version}${made.title !== made.version ? ` "${made.title}"` : ''}${made.draft ? ' (draft)' : ''}  ${made.id}  ${made.artifacts.length} artifact(s)`,
    };
  },
};

/** releases: the newest releases of a repo. */
export const releases: Command = {
  usage: `  releases <repo>                                         the newest releases`,
  async run(context) {
    context.need(1, '<repo>');
    const repo = await resolveRepo(context.api, context.args[0] ?? '');
    const page = await call<{ items: ReleaseSummary[] }>(context.api, 'GET', `/repos/${repo}/releases?limit=20`);
    const rows = [
      ['VERSION', 'CREATED', 'ARTIFACTS', 'ID'],
      ...page.items.map((r) => [
        `${r.version}${r.draft ? ' (draft)' : ''}`,
        r.createdAt,
        String(r.artifactCount),
        r.id,
      ]),
    ];
    return { json: page, human: page.items.length ? table(rows) : 'no releases yet' };
  },
};
