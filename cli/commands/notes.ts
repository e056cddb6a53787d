import type { ReleaseNotes } from '../../schemas/releaseNotes';
import { call, resolveRepo } from '../api';
import { CliError, type Command, type Context } from '../args';

/** The notes and next version of `repo` at --commit, from its history (POST …/releases/notes writes nothing). */
async function draft(context: Context): Promise<ReleaseNotes> {
  context.need(1, '<repo> --commit <sha>');
  const commit = context.string('commit');
  if (!commit) throw new CliError(`${context.name} needs --commit <sha or ref>`, 2);
  const version = context.string('version');
  const previous = context.string('previous');
  const repo = await resolveRepo(context.api, context.args[0] ?? '');
  return call<ReleaseNotes>(context.api, 'POST', `/repos/${repo}/releases/notes`, {
    json: {
      commit,
      ...(version !== undefined ? { version } : {}),
      ...(previous !== undefined ? { previousVersion: previous } : {}),
    },
  });
}

/** notes: release notes and the next version from the repo's history. */
export const notes: Command = {
  usage: `  notes <repo> --commit <sha> [--version <v>] [--previous <v>]
                                                          release notes and the next version from the repo's history`,
  options: { commit: { type: 'string' }, version: { type: 'string' }, previous: { type: 'string' } },
  async run(context) {
    const drafted = await draft(context);
    const range = `${drafted.range.from?.slice(0, 12) ?? '(root)'}..${drafted.range.to.slice(0, 12)}`;
    return {
      json: drafted,
      human: [
        `# ${drafted.title}`,
        `range ${range}${drafted.range.previousVersion ? ` (since ${drafted.range.previousVersion})` : ''}`,
        `next version: ${drafted.nextVersion ?? 'none'} (${drafted.reason})`,
        ...drafted.warnings,
        '',
        drafted.notes,
      ].join('\n'),
    };
  },
};

/** next-version: the next version alone, for scripts (the reason on stderr and exit 1 when nothing is releasable). */
export const nextVersion: Command = {
  usage: `  next-version <repo> --commit <sha>                      just the next version (exit 1 when nothing is releasable)`,
  options: { commit: { type: 'string' }, version: { type: 'string' }, previous: { type: 'string' } },
  async run(context) {
    const drafted = await draft(context);
    if (drafted.nextVersion === null) throw new CliError(drafted.reason, 1);
    return { json: drafted.nextVersion, human: drafted.nextVersion };
  },
};
