import { h } from './dom';
import { session } from './store';
import type { Release, ReleaseNotes } from './types';

// A release's place in the history: the commit it names, the range its generated notes cover, and that range's
// commits grouped as the notes group them (read from the history when the release is shown).

/** The commit a release names and the range of history its generated notes cover. */
export function commitLines(release: Release): HTMLElement[] {
  if (release.commit === null) return [];
  const range = release.notesRange;
  const lines = [h('p', { class: 'muted', 'data-commit': '' }, 'commit ', h('code', { class: 'sha' }, release.commit))];
  if (range) {
    const from = range.from === null ? 'the first commit' : range.from.slice(0, 12);
    const since = range.previousVersion
      ? ` (since ${range.previousVersion}${range.fromMergeBase ? ', from the merge base' : ''})`
      : '';
    lines.push(
      h(
        'p',
        { class: 'muted', 'data-range': '' },
        `covers ${from} … ${range.to.slice(0, 12)}${since}${range.truncated ? ', truncated' : ''}`,
      ),
    );
  }
  return lines;
}

/** The commits of a release's range, grouped as its notes group them (read from the history when shown). */
export function commitsOf(release: Release): HTMLElement {
  const box = h('div', { 'data-commits': '' }, h('p', { class: 'muted' }, 'Reading the history…'));
  const range = release.notesRange;
  if (!range) return box;
  const body = range.previousVersion
    ? { commit: range.to, previousVersion: range.previousVersion }
    : { commit: range.to, version: release.version };
  session()
    .api.post<ReleaseNotes>(`/repos/${session().repo.id}/releases/notes`, body)
    .then((drafted) => {
      const groups = new Map<string, ReleaseNotes['commits']>();
      for (const commit of drafted.commits) groups.set(commit.group, [...(groups.get(commit.group) ?? []), commit]);
      box.replaceChildren(
        ...[...groups].map(([group, commits]) =>
          h(
            'div',
            { 'data-group': group },
            h('h4', {}, group === 'breaking' ? 'Breaking changes' : group === 'other' ? 'Other changes' : group),
            h(
              'ul',
              {},
              ...commits.map((commit) =>
                h(
                  'li',
                  {},
                  commit.scope ? h('strong', {}, `${commit.scope}: `) : '',
                  commit.subject,
                  ' ',
                  h('code', { class: 'sha' }, commit.sha.slice(0, 7)),
                  h('span', { class: 'muted' }, ` ${commit.author.name}`),
                ),
              ),
            ),
          ),
        ),
      );
    })
    .catch((err: unknown) => {
      box.replaceChildren(
        h(
          'p',
          { class: 'muted' },
          `The history could not be read: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    });
  return box;
}
