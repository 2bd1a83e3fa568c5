import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { TestDatabase } from '../harness/databases.js';

// Continuous load for the fault suites: a few senders post batches with fresh messageIds and record what each
// answer promised, so a test can check the one rule that matters afterwards: every event answered 2xx is
// stored exactly once, and nothing answered otherwise is stored.

export interface LoadOptions {
  /** The ingest base URL, read before every request (a test may point the load elsewhere). */
  url: () => string;
  /** The key sent as the Basic user name, read before every request (a test may rotate it mid-load). */
  key: () => string;
  batchSize?: number;
  senders?: number;
  /** Prefix of the generated messageIds, so a store's events can be told apart by run. */
  prefix?: string;
  /** Pause between two requests of one sender (lets a slow machine breathe); 0 by default. */
  pauseMs?: number;
}

export interface Answer {
  status: number;
  retryAfter: string | null;
  /** The key the request was sent with. */
  key: string;
  /** Network failure (connection refused or reset) instead of an HTTP answer. */
  error?: string;
}

export interface Load {
  /** messageIds of events answered 2xx with every event accepted. */
  readonly accepted: string[];
  /** messageIds of events answered 503 with Retry-After: the client keeps them and retries. */
  readonly refused: string[];
  /** messageIds whose request got no full 2xx or 503 answer (network error, other status): fate unknown. */
  readonly unknown: string[];
  /** Every answer, in order of arrival. */
  readonly answers: Answer[];
  /** Answers that are neither a full 2xx nor a 503 with Retry-After: what a client would count as a failure. */
  failures(): Answer[];
  /** Resolves once `n` more requests have been answered (from now). */
  answered(n: number): Promise<void>;
  stop(): Promise<void>;
}

export function startLoad(options: LoadOptions): Load {
  const batchSize = options.batchSize ?? 20;
  const prefix = options.prefix ?? 'load';
  const accepted: string[] = [];
  const refused: string[] = [];
  const unknown: string[] = [];
  const answers: Answer[] = [];
  const unexplained: Answer[] = [];
  const waiters: { count: number; done: () => void }[] = [];
  let running = true;
  let sequence = 0;

  const note = (answer: Answer) => {
    answers.push(answer);
    for (const waiter of [...waiters]) {
      if (answers.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.done();
      }
    }
  };

  async function sendOne(): Promise<void> {
    const ids = Array.from({ length: batchSize }, () => `${prefix}-${sequence++}-${randomUUID()}`);
    const key = options.key();
    const body = JSON.stringify({
      batch: ids.map((messageId) => ({
        type: 'track',
        event: 'Product Viewed',
        messageId,
        anonymousId: `visitor-${sequence % 101}`,
        timestamp: new Date().toISOString(),
        properties: { product_id: 'p-1', price: 10, currency: 'EUR' },
      })),
    });
    let response: Response;
    try {
      response = await fetch(`${options.url()}/v1/batch`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${key}:`).toString('base64')}`,
        },
        body,
        signal: AbortSignal.timeout(60_000),
      });
    } catch (error) {
      // No answer: the client cannot know; these ids are neither promised nor refused.
      const cause = (error as { cause?: { code?: unknown } }).cause?.code;
      const answer = {
        status: 0,
        retryAfter: null,
        key,
        error: `${(error as Error).message}${typeof cause === 'string' ? ` (${cause})` : ''}`,
      };
      unexplained.push(answer);
      unknown.push(...ids);
      note(answer);
      return;
    }
    const text = await response.text();
    const answer: Answer = { status: response.status, retryAfter: response.headers.get('retry-after'), key };
    if (response.status === 200 && (JSON.parse(text) as { accepted?: number }).accepted === ids.length) {
      accepted.push(...ids);
    } else if (response.status === 503 && Number(answer.retryAfter) > 0) {
      refused.push(...ids);
    } else {
      unexplained.push({ ...answer, error: text.slice(0, 300) });
      unknown.push(...ids);
    }
    note(answer);
  }

  const senders = Array.from({ length: options.senders ?? 2 }, async () => {
    while (running) {
      const before = accepted.length;
      await sendOne();
      // Like a real client, wait after a refusal (briefly: the test wants to see recovery soon).
      const pauseMs = accepted.length === before ? 100 : (options.pauseMs ?? 0);
      if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  });

  return {
    accepted,
    refused,
    unknown,
    answers,
    failures: () => [...unexplained],
    answered(n) {
      const count = answers.length + n;
      return new Promise((done) => {
        if (answers.length >= count) done();
        else waiters.push({ count, done });
      });
    },
    async stop() {
      running = false;
      await Promise.all(senders);
    },
  };
}

/** How many times each messageId of the store is stored: counted in the database, not through the API. */
export async function storedCounts(db: TestDatabase, storeId: number): Promise<Map<string, number>> {
  const rows = await db.database
    .typed<{ events: { store_id: number; message_id: string } }>()
    .selectFrom('events')
    .select(['message_id', sql<number>`count(*)`.as('n')])
    .where('store_id', '=', storeId)
    .groupBy('message_id')
    .execute();
  return new Map(rows.map((row) => [row.message_id, Number(row.n)]));
}

/**
 * The exactly-once check: every accepted id stored once, no refused id stored, nothing stored that was never
 * sent (ids of unknown fate may be stored once or not at all). Returns the violations (empty when all is
 * well, at most 20), so a failing test prints what went wrong.
 */
export function exactlyOnceViolations(
  stored: Map<string, number>,
  load: Pick<Load, 'accepted' | 'refused' | 'unknown'>,
): string[] {
  const problems: string[] = [];
  const sent = new Set([...load.accepted, ...load.unknown]);
  const refusedSet = new Set(load.refused);
  for (const id of load.accepted) {
    const n = stored.get(id) ?? 0;
    if (n !== 1) problems.push(`${id} accepted, stored ${n} times`);
  }
  for (const id of refusedSet) if (stored.has(id)) problems.push(`${id} refused (503), yet stored`);
  for (const [id, n] of stored) {
    if (!sent.has(id) && !refusedSet.has(id)) problems.push(`${id} stored, never sent`);
    else if (n > 1) problems.push(`${id} stored ${n} times`);
  }
  return [...new Set(problems)].slice(0, 20);
}
