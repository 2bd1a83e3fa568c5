// Retry timing: exponential backoff with jitter, and the server's Retry-After.

/** Longest wait between retries, and the longest pause a Retry-After header can impose. */
export const MAX_BACKOFF_MS = 300_000;
export const MAX_RETRY_AFTER_MS = 3_600_000;

/**
 * Delay before retry number `attempt` (0-based): 1 s, 2 s, 4 s, … capped at 5 min, with "equal jitter"
 * (half fixed, half random) so a fleet of browsers that failed together does not retry together.
 */
export const backoffMs = (attempt: number, random: number = Math.random()): number => {
  const ceilingMs = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
  return ceilingMs / 2 + (random * ceilingMs) / 2;
};

/**
 * Milliseconds to wait according to a Retry-After header, either delay-seconds ("120") or an HTTP date
 * ("Wed, 21 Oct 2026 07:28:00 GMT"); 0 when absent, malformed or already past. Capped at one hour so a
 * misconfigured server cannot silence the tracker for good (the pause is persisted across page loads).
 */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number {
  if (!value) return 0;
  const ms = /^\s*\d+\s*$/.test(value) ? +value * 1000 : Date.parse(value) - nowMs;
  return ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : 0;
}
