import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';

export type { Redis };

/**
 * A Redis client that fails fast while Redis is away (no offline queue), so callers can answer 503 at once
 * instead of holding requests; it reconnects by itself with capped backoff.
 */
export function createRedis(url: string, options: { name?: string } = {}): Redis {
  return new Redis(url, {
    connectionName: options.name ?? 'footfall',
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (attempt) => Math.min(100 * 2 ** attempt, 2000),
    // Only a failover (the replica we talk to became read-only) warrants a reconnect; other error replies are
    // answers to one command and must not drop the shared connection.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
  });
}

/** Waits until the client is ready, or throws after `timeoutMs`. */
export async function waitForRedis(redis: Redis, timeoutMs = 5000): Promise<void> {
  if (redis.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis not ready after ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      redis.off('ready', onReady);
    };
    redis.on('ready', onReady);
  });
}

/**
 * A Lua script called by its SHA1 (EVALSHA), not with its text on every call. After a Redis restart or
 * SCRIPT FLUSH the script is unknown: that call answers NOSCRIPT having done nothing, and is sent again with
 * EVAL, which loads it. (The client reconnects only on READONLY error replies.) A throw while building the
 * call (too many arguments to spread) becomes a rejection, never an exception in the caller's timer.
 */
export function redisScript(source: string) {
  const sha = createHash('sha1').update(source).digest('hex');
  return async (
    redis: Redis,
    keys: readonly string[],
    args: readonly (string | number)[],
  ): Promise<unknown> => {
    try {
      return await redis.evalsha(sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(source, keys.length, ...keys, ...args);
    }
  };
}
