import { describe, expect, it } from 'vitest';
import { releaseChangesInput, releaseInput } from '../../lib/github/input';
import { HttpProblem } from '../../lib/infra/errors';

/** The field paths of the 422 that `fn` throws. */
function refusedFields(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpProblem && err.status === 422) return (err.errors ?? []).map((e) => e.path);
    throw err;
  }
  throw new Error('expected a 422');
}

describe('releaseInput (GitHub create)', () => {
  it('keeps a draft as a draft, and a release without draft published', () => {
    expect(releaseInput({ tag_name: 'v1.0.0', draft: true })).toMatchObject({ version: '1.0.0', draft: true });
    expect(releaseInput({ tag_name: '1.0.0' })).toMatchObject({ draft: false, notes: '' });
  });
});

describe('releaseChangesInput (GitHub edit)', () => {
  it('sends only the fields the edit names, as native changes', () => {
    expect(releaseChangesInput({ draft: false }, '1.0.0')).toEqual({ draft: false });
    expect(releaseChangesInput({ name: 'Title', body: null, target_commitish: 'main' }, '1.0.0')).toEqual({
      title: 'Title',
      notes: '',
      commit: 'main',
    });
    expect(releaseChangesInput({ tag_name: 'v2.0.0-rc.1', name: '' }, '1.0.0')).toEqual({ version: '2.0.0-rc.1' });
  });

  it('checks prerelease against the version the release will have, and refuses what has no place here', () => {
    expect(refusedFields(() => releaseChangesInput({ prerelease: true }, '1.0.0'))).toEqual(['/body/prerelease']);
    expect(releaseChangesInput({ prerelease: true }, '1.0.0-beta.1')).toEqual({});
    expect(releaseChangesInput({ tag_name: 'v1.1.0', prerelease: false }, '1.0.0-beta.1')).toEqual({
      version: '1.1.0',
    });
    expect(refusedFields(() => releaseChangesInput({ tag_name: 'seven' }, '1.0.0'))).toEqual(['/body/tag_name']);
    expect(refusedFields(() => releaseChangesInput({ make_latest: 'true' }, '1.0.0'))).toEqual(['/body/make_latest']);
    expect(refusedFields(() => releaseChangesInput({ discussion_category_name: 'x' }, '1.0.0'))).toEqual([
      '/body/discussion_category_name',
    ]);
  });
});
