import type { DeploymentStatus } from '../../schemas/deployments';
import { isCheckViolation } from '../infra/db';
import { BadRequest } from '../infra/errors';

/** How far ahead of this server's clock a client's time may be (clock skew) before it counts as the future. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
const EARLIEST = Date.UTC(1970, 0, 1);

function badTime(path: string, message: string): BadRequest {
  return new BadRequest(`${path.split('/').pop()} ${message}.`, [{ path, message }]);
}

export function endBeforeStart(): BadRequest {
  return badTime('/body/endedAt', 'must not be before startedAt');
}

/** A client's time, which must be a real instant from 1970 on and not in the future. */
export function parseTime(value: string, path: string, now = Date.now()): Date {
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) throw badTime(path, 'must be a valid ISO 8601 time');
  if (time.getTime() < EARLIEST) throw badTime(path, 'must not be before 1970');
  if (time.getTime() > now + CLOCK_SKEW_MS) throw badTime(path, 'must not be in the future');
  return time;
}

/**
 * The times of a new deployment, checked: an in_progress deployment has no end; a finished one ends when it says,
 * or now; the end is not before the start. Null where the database's clock decides (now).
 */
export function deploymentTimes(
  input: { status: DeploymentStatus; startedAt?: string; endedAt?: string | null },
  now = Date.now(),
): { startedAt: Date | null; endedAt: Date | null } {
  const startedAt = input.startedAt === undefined ? null : parseTime(input.startedAt, '/body/startedAt', now);
  if (input.status === 'in_progress') {
    if (input.endedAt !== undefined && input.endedAt !== null) {
      throw badTime('/body/endedAt', 'must be absent or null while status is in_progress');
    }
    return { startedAt, endedAt: null };
  }
  if (input.endedAt === null) {
    throw badTime('/body/endedAt', `must be a time (or left out, meaning now) when status is ${input.status}`);
  }
  const endedAt = input.endedAt === undefined ? null : parseTime(input.endedAt, '/body/endedAt', now);
  if (startedAt && endedAt && endedAt < startedAt) throw endBeforeStart();
  return { startedAt, endedAt };
}

/** True when Postgres refused an end before the start (a default of now can be before a given start). */
export function isEndBeforeStart(err: unknown): boolean {
  return isCheckViolation(err, 'deployments_ended_after_started');
}
