import { AppError, err, invalid, ok, type Result } from '../../platform/errors.js';
import { type CronExpression, isAligned, previousSlot } from './cron-expression.js';

/** An instant with a date, a time and an explicit zone (`Z` or ±hh:mm); a zone-less time would be ambiguous. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

export interface SlotRules {
  /** How far back an explicit slot may lie. */
  windowMs: number;
  /** How far ahead of this instance's clock an explicit slot may lie, to absorb small clock differences. */
  futureToleranceMs: number;
}

export function parseSlotText(text: string): number | null {
  if (!ISO_INSTANT.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The slot a call runs. Without `requested` it is the latest slot of the schedule (however old: a monthly job
 * called late still runs its month). An explicit slot must be an ISO instant the schedule matches, not in the
 * future and not older than the window — so a replayed or mistyped call cannot run an arbitrary past slot.
 */
export function resolveSlot(
  expression: CronExpression,
  requested: string | number | undefined,
  nowMs: number,
  rules: SlotRules,
): Result<number> {
  if (requested === undefined) {
    const slotMs = previousSlot(expression, nowMs);
    if (slotMs === null)
      return err(new AppError('internal', `the schedule "${expression.source}" has no past slot`));
    return ok(slotMs);
  }
  const slotMs = typeof requested === 'number' ? requested : parseSlotText(requested);
  if (slotMs === null || !Number.isSafeInteger(slotMs)) {
    return err(invalid('slot', 'slot must be an ISO 8601 time with a zone, e.g. 2026-11-25T03:00:00Z'));
  }
  if (!isAligned(expression, slotMs)) {
    const latest = previousSlot(expression, Math.min(slotMs, nowMs));
    const hint = latest === null ? '' : `; the closest earlier slot is ${iso(latest)}`;
    return err(invalid('slot', `${iso(slotMs)} is not a slot of the schedule "${expression.source}"${hint}`));
  }
  if (slotMs > nowMs + rules.futureToleranceMs) {
    return err(invalid('slot', `${iso(slotMs)} is in the future`));
  }
  if (nowMs - slotMs > rules.windowMs) {
    const hours = Math.round((rules.windowMs / 3_600_000) * 10) / 10;
    return err(invalid('slot', `${iso(slotMs)} is older than the ${hours} h window for explicit slots`));
  }
  return ok(slotMs);
}
