import { setTimeout as sleep } from 'node:timers/promises';
import { type Queryable, sql } from '../infra/db';
import { Conflict, Unprocessable } from '../infra/errors';

/** How long a key and its response are kept. */
const KEY_TTL = "interval '24 hours'";
/** A reservation with no response this old belongs to a request whose process died; the key may be reused. */
const ABANDONED_AFTER = "interval '60 seconds'";
/** How long a request waits for another one with the same key to finish before answering 409. */
const WAIT_FOR_TWIN_MS = 5000;

export interface StoredResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Claims `key` for this request of `userId`, or returns the response of the first request that used it.
 * The same key with another request (method, path, query or body) is 422. While a twin request with the same key
 * is still running, waits for its response up to a few seconds, then answers 409.
 */
export async function claimKey(
  db: Queryable,
  claim: { userId: string; key: string; fingerprint: Buffer },
): Promise<StoredResponse | null> {
  const deadline = Date.now() + WAIT_FOR_TWIN_MS;
  for (;;) {
    await db.query(sql`
      DELETE FROM idempotency_keys
      WHERE user_id = ${claim.userId} AND key = ${claim.key}
        AND (created_at < now() - ${sql.__dangerous__rawValue(KEY_TTL)}
             OR (status IS NULL AND created_at < now() - ${sql.__dangerous__rawValue(ABANDONED_AFTER)}))`);
    const inserted = await db.query(sql`
      INSERT INTO idempotency_keys (user_id, key, fingerprint) VALUES (${claim.userId}, ${claim.key}, ${claim.fingerprint})
      ON CONFLICT (user_id, key) DO NOTHING
      RETURNING 1 AS claimed`);
    if (inserted.length) return null;
    const [row] = await db.query(sql`
      SELECT fingerprint, status, headers, body FROM idempotency_keys WHERE user_id = ${claim.userId} AND key = ${claim.key}`);
    if (!row) continue; // expired or released between the two statements
    if (!Buffer.from(row.fingerprint).equals(claim.fingerprint)) {
      throw new Unprocessable(
        'This Idempotency-Key was already used with a different request; use a new key for a new request.',
      );
    }
    if (row.status !== null) return { statusCode: row.status, headers: row.headers, body: row.body };
    if (Date.now() > deadline) {
      throw new Conflict('A request with this Idempotency-Key is still in progress; retry it shortly.');
    }
    await sleep(50);
  }
}

/** Keeps the response of a claimed key, for replay to later requests with the same key. */
export async function storeResponse(
  db: Queryable,
  userId: string,
  key: string,
  response: StoredResponse,
): Promise<void> {
  await db.query(sql`
    UPDATE idempotency_keys SET status = ${response.statusCode}, headers = ${JSON.stringify(response.headers)}::jsonb, body = ${response.body}
    WHERE user_id = ${userId} AND key = ${key} AND status IS NULL`);
}

/** Gives a claimed key back (the request failed in a way a retry may fix), so that a retry runs afresh. */
export async function releaseKey(db: Queryable, userId: string, key: string): Promise<void> {
  await db.query(sql`DELETE FROM idempotency_keys WHERE user_id = ${userId} AND key = ${key} AND status IS NULL`);
}

/** Deletes keys past their 24 hours. */
export async function purgeExpiredKeys(db: Queryable): Promise<void> {
  await db.query(sql`DELETE FROM idempotency_keys WHERE created_at < now() - ${sql.__dangerous__rawValue(KEY_TTL)}`);
}
