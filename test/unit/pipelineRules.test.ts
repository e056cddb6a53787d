import { describe, expect, it } from 'vitest';
import { checkTransition } from '../../lib/domain/deployments';
import { findCycle } from '../../lib/domain/environments';
import { metricsWindow } from '../../lib/domain/metrics';
import { checkMayReview } from '../../lib/domain/reviews';
import { BadRequest, Conflict, Forbidden, type HttpProblem } from '../../lib/infra/errors';

function thrown(fn: () => unknown): HttpProblem {
  try {
    fn();
  } catch (err) {
    return err as HttpProblem;
  }
  throw new Error('expected a problem to be thrown');
}

describe('cycles of requirements', () => {
  const graph = (edges: Record<string, string[]>) => new Map(Object.entries(edges));

  it('finds none in the default pipeline, nor in a diamond', () => {
    expect(findCycle(graph({ prod: ['stg'], stg: [] }), 'prod')).toBeNull();
    expect(findCycle(graph({ prod: ['stg', 'qa'], stg: ['dev'], qa: ['dev'], dev: [] }), 'prod')).toBeNull();
  });

  it('names the cycle through the environment, start to start, in the direction of the requirements', () => {
    expect(findCycle(graph({ stg: ['prod'], prod: ['stg'] }), 'stg')).toEqual(['stg', 'prod', 'stg']);
    expect(findCycle(graph({ dev: ['prod'], prod: ['stg'], stg: ['dev'] }), 'dev')).toEqual([
      'dev',
      'prod',
      'stg',
      'dev',
    ]);
  });

  it('ignores a cycle elsewhere that does not pass through the environment, and terminates on it', () => {
    expect(findCycle(graph({ dev: ['a'], a: ['b'], b: ['a'] }), 'dev')).toBeNull();
  });
});

describe('the review rule', () => {
  const waiting = { status: 'waiting' as const, deployedBy: { id: 'asker', name: 'asker' }, reviews: [] };

  it('lets a release manager other than the requester review a waiting deployment', () => {
    expect(() => checkMayReview('release_manager', waiting, 'other')).not.toThrow();
  });

  it.each([
    ['a developer', 'developer', waiting, 'other', Forbidden],
    ['the requester', 'release_manager', waiting, 'asker', Forbidden],
    [
      'a deployment no longer waiting',
      'release_manager',
      { ...waiting, status: 'success' as const },
      'other',
      Conflict,
    ],
    [
      'a second review',
      'release_manager',
      {
        ...waiting,
        reviews: [
          {
            id: 'r',
            reviewer: { id: 'other', name: 'other' },
            decision: 'approve' as const,
            comment: null,
            createdAt: '2026-01-01T00:00:00.000Z',
          },
        ],
      },
      'other',
      Conflict,
    ],
  ])('refuses %s', (_, role, deployment, user, kind) => {
    expect(thrown(() => checkMayReview(role, deployment, user))).toBeInstanceOf(kind);
  });

  it('does not let a waiting deployment be finished before it is approved', () => {
    expect(thrown(() => checkTransition('waiting', 'success')).message).toBe(
      'The deployment is waiting for approvals; it can be finished once it has been approved and is in_progress.',
    );
  });
});

describe('the window of the metrics', () => {
  const now = Date.parse('2026-11-28T12:00:00.000Z');

  it('defaults to the 30 days before now', () => {
    expect(metricsWindow({}, now)).toEqual({
      from: new Date('2026-10-29T12:00:00.000Z'),
      to: new Date('2026-11-28T12:00:00.000Z'),
    });
  });

  it.each([
    ['a reversed window', { from: '2026-11-02T00:00:00Z', to: '2026-11-01T00:00:00Z' }],
    ['an empty window', { from: '2026-11-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }],
    ['more than 366 days', { from: '2025-01-01T00:00:00Z', to: '2026-11-01T00:00:00Z' }],
  ])('refuses %s with a 400', (_, input) => {
    expect(thrown(() => metricsWindow(input, now))).toBeInstanceOf(BadRequest);
  });
});
