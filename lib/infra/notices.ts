/**
 * In-process notices of recorded events, for long-polling readers of the feed. The process's one listening
 * connection (lib/infra/listen, run by the server) calls `noticeEvents(payload)` for each NOTIFY on gitweave_events;
 * a waiting reader holds no database connection, only a callback here, and runs one query once woken.
 * Shared through globalThis, like the pool (lib/infra/db), so every bundle in one process sees the same notices.
 */
const SHARED = Symbol.for('gitweave.releases.notices');
interface Notices {
  subscribed: boolean;
  /** the process is stopping: no reader waits any more */
  closing: boolean;
  waiters: Map<string, Set<() => void>>;
}
const holder = globalThis as typeof globalThis & { [SHARED]?: Notices };
holder[SHARED] ??= { subscribed: false, closing: false, waiters: new Map() };
const notices: Notices = holder[SHARED];

/**
 * Wakes the readers of the feeds an event is in, as a gitweave_events NOTIFY names them (`<org id>` or `<org id>
 * <repo id>`): the org's feed, and the repo's when there is one. A reader of another repo of the org sleeps on, so
 * that a busy repo does not make every waiter of its org read again.
 */
export function noticeEvents(payload: string): void {
  const [orgId, repoId] = payload.split(' ');
  if (orgId) for (const wake of notices.waiters.get(`org:${orgId}`) ?? []) wake();
  if (repoId) for (const wake of notices.waiters.get(`repo:${repoId}`) ?? []) wake();
}

/**
 * Whether this process receives the NOTIFYs: false on Lambda and serverless-offline (nothing listens there) and while
 * the listening connection is being re-made. Losing it wakes every waiter, so that each falls back to polling.
 */
export function eventsSubscription(subscribed: boolean): void {
  notices.subscribed = subscribed;
  if (!subscribed) for (const set of notices.waiters.values()) for (const wake of set) wake();
}

/** How many long-polling readers of the feed wait now (a gauge of the metrics). */
export function waitingReaders(): number {
  let count = 0;
  for (const set of notices.waiters.values()) count += set.size;
  return count;
}

export function eventsSubscribed(): boolean {
  return notices.subscribed;
}

/**
 * For a server that is stopping: every waiting reader answers now (with what there is), and none waits from now on,
 * so that the requests in flight end at once rather than hold the stop for up to 30 s.
 */
export function endWaits(): void {
  notices.closing = true;
  for (const set of notices.waiters.values()) for (const wake of set) wake();
}

export function waitsEnded(): boolean {
  return notices.closing;
}

/**
 * Starts watching for a notice about feed `feed` (`org:<id>` or `repo:<id>`); arm before reading, so that an event committed between the read
 * and the wait still wakes it. `wait(ms)` resolves at the first notice since arming, or after `ms`; `disarm`
 * forgets the watch (wait does too).
 */
export function armNotice(feed: string): { wait(ms: number): Promise<void>; disarm(): void } {
  let fired = false;
  let wake: (() => void) | undefined;
  const onNotice = () => {
    fired = true;
    wake?.();
  };
  const set = notices.waiters.get(feed) ?? new Set();
  set.add(onNotice);
  notices.waiters.set(feed, set);
  const disarm = () => {
    set.delete(onNotice);
    if (set.size === 0 && notices.waiters.get(feed) === set) notices.waiters.delete(feed);
  };
  return {
    disarm,
    async wait(ms: number) {
      if (!fired && !notices.closing && ms > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, ms);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      disarm();
    },
  };
}
