import { describe, expect, it } from 'vitest';
import { checkMayDeploy, checkTransition } from '../../lib/domain/deployments';
import { CLOCK_SKEW_MS, deploymentTimes } from '../../lib/domain/deploymentTimes';
import { checkMayManageEnvironments } from '../../lib/domain/environments';
import { BadRequest, Conflict, Forbidden, type HttpProblem } from '../../lib/infra/errors';
import type { DeploymentStatus } from '../../schemas/deployments';

function thrown(fn: () => unknown): HttpProblem {
  try {
    fn();
  } catch (err) {
    return err as HttpProblem;
  }
  throw new Error('expected a problem to be thrown');
}

const dev = { name: 'dev', protected: false };
const prod = { name: 'prod', protected: true };

describe('the deploy rule', () => {
  it('lets a developer and a release manager deploy to an unprotected environment', () => {
    expect(() => checkMayDeploy('developer', dev)).not.toThrow();
    expect(() => checkMayDeploy('release_manager', dev)).not.toThrow();
  });

  it('lets a release manager deploy to a protected environment', () => {
    expect(() => checkMayDeploy('release_manager', prod)).not.toThrow();
  });

  it('refuses a developer a protected environment with a 403 that says why', () => {
    const problem = thrown(() => checkMayDeploy('developer', prod));
    expect(problem).toBeInstanceOf(Forbidden);
    expect(problem.status).toBe(403);
    expect(problem.message).toBe(
      'Deploying to protected environment prod needs the release_manager role; you are a developer in this org.',
    );
  });

  it('names the environment it refuses', () => {
    expect(thrown(() => checkMayDeploy('developer', { name: 'eu-west-1', protected: true })).message).toContain(
      'eu-west-1',
    );
  });
});

describe('the environment rule', () => {
  it('lets a release manager create environments', () => {
    expect(() => checkMayManageEnvironments('release_manager')).not.toThrow();
  });

  it('refuses a developer with a 403 that says why', () => {
    const problem = thrown(() => checkMayManageEnvironments('developer'));
    expect(problem).toBeInstanceOf(Forbidden);
    expect(problem.message).toBe(
      'Creating environments needs the release_manager role; you are a developer in this org.',
    );
  });
});

describe('the status transition rule', () => {
  it.each([['success'], ['failed']] as const)('allows in_progress → %s', (to) => {
    expect(() => checkTransition('in_progress', to)).not.toThrow();
  });

  const refused: Array<[DeploymentStatus, DeploymentStatus]> = [
    ['in_progress', 'in_progress'],
    ['success', 'success'],
    ['success', 'failed'],
    ['success', 'in_progress'],
    ['failed', 'failed'],
    ['failed', 'success'],
    ['failed', 'in_progress'],
  ];
  it.each(refused)('refuses %s → %s with a 409', (from, to) => {
    const problem = thrown(() => checkTransition(from, to));
    expect(problem).toBeInstanceOf(Conflict);
    expect(problem.status).toBe(409);
  });

  it('says that a finished deployment is final', () => {
    expect(thrown(() => checkTransition('failed', 'success')).message).toBe(
      'The deployment is already failed; only an in_progress deployment can be finished, and only once.',
    );
  });
});

describe('the times of a new deployment', () => {
  const now = Date.parse('2026-11-28T12:00:00.000Z');

  it('leaves both to the database clock when none is given', () => {
    expect(deploymentTimes({ status: 'success' }, now)).toEqual({ startedAt: null, endedAt: null });
    expect(deploymentTimes({ status: 'in_progress' }, now)).toEqual({ startedAt: null, endedAt: null });
  });

  it('takes given times, to the millisecond, with any offset', () => {
    expect(
      deploymentTimes(
        { status: 'failed', startedAt: '2026-11-28T10:00:00.123+01:00', endedAt: '2026-11-28T09:30:00Z' },
        now,
      ),
    ).toEqual({ startedAt: new Date('2026-11-28T09:00:00.123Z'), endedAt: new Date('2026-11-28T09:30:00.000Z') });
  });

  it('accepts an end equal to the start, and null for the end of an in_progress deployment', () => {
    const at = '2026-11-28T09:00:00Z';
    expect(deploymentTimes({ status: 'success', startedAt: at, endedAt: at }, now).endedAt).toEqual(new Date(at));
    expect(deploymentTimes({ status: 'in_progress', startedAt: at, endedAt: null }, now)).toEqual({
      startedAt: new Date(at),
      endedAt: null,
    });
  });

  it.each([
    [
      'an end before the start',
      { status: 'success', startedAt: '2026-11-28T10:00:00Z', endedAt: '2026-11-28T09:59:59.999Z' },
      '/body/endedAt',
      'must not be before startedAt',
    ],
    [
      'an end for an in_progress deployment',
      { status: 'in_progress', endedAt: '2026-11-28T10:00:00Z' },
      '/body/endedAt',
      'must be absent or null while status is in_progress',
    ],
    [
      'a null end for a finished deployment',
      { status: 'success', endedAt: null },
      '/body/endedAt',
      'must be a time (or left out, meaning now) when status is success',
    ],
    [
      'a start in the future',
      { status: 'in_progress', startedAt: new Date(now + CLOCK_SKEW_MS + 1).toISOString() },
      '/body/startedAt',
      'must not be in the future',
    ],
    [
      'an end in the future',
      { status: 'failed', endedAt: '2027-01-01T00:00:00Z' },
      '/body/endedAt',
      'must not be in the future',
    ],
    [
      'a start before 1970',
      { status: 'success', startedAt: '1969-12-31T23:59:59Z' },
      '/body/startedAt',
      'must not be before 1970',
    ],
    [
      'a time that is no instant (a leap second)',
      { status: 'success', startedAt: '2016-12-31T23:59:60Z' },
      '/body/startedAt',
      'must be a valid ISO 8601 time',
    ],
  ] as const)('refuses %s with a 400 naming the field', (_, input, path, message) => {
    const problem = thrown(() => deploymentTimes(input, now));
    expect(problem).toBeInstanceOf(BadRequest);
    expect(problem.errors).toEqual([{ path, message }]);
  });

  it('says in the detail of the 400 which field is wrong and why', () => {
    const problem = thrown(() => deploymentTimes({ status: 'success', startedAt: '1969-12-31T23:59:59Z' }, now));
    expect(problem.message).toBe('startedAt must not be before 1970.');
  });

  it('accepts the first instant of 1970', () => {
    const epoch = '1970-01-01T00:00:00.000Z';
    expect(deploymentTimes({ status: 'success', startedAt: epoch }, now).startedAt).toEqual(new Date(epoch));
  });

  it('takes a given start with the end left to the database clock for a finished deployment', () => {
    const at = '2026-11-28T09:00:00Z';
    expect(deploymentTimes({ status: 'success', startedAt: at }, now)).toEqual({
      startedAt: new Date(at),
      endedAt: null,
    });
  });

  it('allows a client clock up to five minutes ahead, not more', () => {
    const fiveMinutes = 5 * 60 * 1000;
    const ahead = new Date(now + fiveMinutes).toISOString();
    expect(deploymentTimes({ status: 'in_progress', startedAt: ahead }, now).startedAt).toEqual(new Date(ahead));
    const beyond = new Date(now + fiveMinutes + 1).toISOString();
    expect(() => deploymentTimes({ status: 'in_progress', startedAt: beyond }, now)).toThrow(BadRequest);
  });

  it('allows a client clock a little ahead of the server', () => {
    const ahead = new Date(now + CLOCK_SKEW_MS).toISOString();
    expect(deploymentTimes({ status: 'in_progress', startedAt: ahead }, now).startedAt).toEqual(new Date(ahead));
  });
});
