import { localDay, localDayStartMs } from '../../platform/local-time.js';

/**
 * Events before this instant are past a store's retention: it keeps today (local) and the `retentionDays`
 * whole local days before it, so a merchant in Tokyo loses a day's data at Tokyo midnight, not at UTC's, and
 * a report of any kept day is never half-deleted.
 */
export function retentionCutoffMs(nowMs: number, timeZone: string, retentionDays: number): number {
  return localDayStartMs(timeZone, localDay(timeZone, nowMs) - retentionDays);
}
