import { describe, expect, it } from 'vitest';
import { artifactLinkProblems } from '../../lib/domain/releaseLinks';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const C = '33333333-3333-4333-8333-333333333333';

describe('artifactLinkProblems', () => {
  it('finds nothing wrong when every id is in the repo once', () => {
    expect(artifactLinkProblems([A, B], new Set([A, B, C]))).toEqual([]);
  });

  it('finds nothing wrong with no ids at all', () => {
    expect(artifactLinkProblems([], new Set())).toEqual([]);
  });

  it('names each id that is not in the repo, with its position', () => {
    expect(artifactLinkProblems([A, B, C], new Set([B]))).toEqual([
      { path: '/body/artifactIds/0', message: `artifact ${A} does not exist in this repo` },
      { path: '/body/artifactIds/2', message: `artifact ${C} does not exist in this repo` },
    ]);
  });

  it('names every repetition after the first, whatever the letter case', () => {
    expect(artifactLinkProblems([A, A.toUpperCase(), A], new Set([A]))).toEqual([
      { path: '/body/artifactIds/1', message: `artifact ${A.toUpperCase()} is listed more than once` },
      { path: '/body/artifactIds/2', message: `artifact ${A} is listed more than once` },
    ]);
  });
});
