import type { PublicEvent } from '../../schemas/events';
import { feedNow, nextEvents, resolveRepo } from '../api';
import type { Command } from '../args';

/** One line per event, as `watch` prints it. */
function describeEvent(event: PublicEvent): string {
  const resource = event.resource as Record<string, unknown> & {
    environment?: { name: string };
    version?: string;
    status?: string;
    name?: string;
  };
  const what = event.type.startsWith('environment.')
    ? `${resource.name}`
    : event.type.startsWith('release.')
      ? `${resource.version}`
      : `${resource.version} → ${resource.environment?.name}  ${resource.status}`;
  const where = event.repo ? `${event.org.slug}/${event.repo.name}` : event.org.slug;
  return `${event.occurredAt}  ${event.type.padEnd(25)}  ${where}  ${what}  by ${event.actor?.name ?? '(deleted user)'}`;
}

/** watch: a repo's events as they happen, from now on, until the process is stopped. */
export const watch: Command = {
  usage: `  watch <repo> [--types <type,…>]                         print the repo's events as they happen (until Ctrl-C)`,
  options: { types: { type: 'string' } },
  async run(context): Promise<never> {
    context.need(1, '<repo>');
    const repo = await resolveRepo(context.api, context.args[0] ?? '');
    const types = context.string('types');
    let cursor = await feedNow(context.api, repo);
    for (;;) {
      const page = await nextEvents(context.api, repo, cursor, 30_000, types);
      cursor = page.nextCursor;
      for (const event of page.items) {
        process.stdout.write(`${context.json ? JSON.stringify(event) : describeEvent(event)}\n`);
      }
    }
  },
};
