import type { FunnelStepInput } from '../api/types.js';

/** A step in the funnel builder: an event name or a page path, and for events an optional `property = value`. */
export interface DraftStep {
  kind: 'event' | 'page';
  match: string;
  where?: { key: string; value: string };
}

export const MAX_FUNNEL_STEPS = 10;

/** The server's checkout funnel (GET reports/funnel), the one most stores want first. */
export const CHECKOUT_PRESET: readonly DraftStep[] = [
  { kind: 'event', match: 'Product Viewed' },
  { kind: 'event', match: 'Product Added' },
  { kind: 'event', match: 'Checkout Started' },
  { kind: 'event', match: 'Order Completed' },
];

/** An event step whose filter has both a property and a value (a half-typed filter is ignored). */
export function hasFilter(step: DraftStep): step is DraftStep & { where: { key: string; value: string } } {
  return (
    step.kind === 'event' && !!step.where && step.where.key.trim() !== '' && step.where.value.trim() !== ''
  );
}

/**
 * Steps from the URL: `step=event:Product Viewed` in order, and property filters as `where=1:category=shoes`
 * (1-based step number, the property, `=`, the value; the value may itself contain `=`). Anything malformed is
 * left out rather than guessed at.
 */
export function parseSteps(values: readonly string[], wheres: readonly string[] = []): DraftStep[] {
  const steps = values
    .map((value): DraftStep | null => {
      const mark = value.indexOf(':');
      const kind = value.slice(0, mark);
      const match = value.slice(mark + 1).trim();
      return mark > 0 && (kind === 'event' || kind === 'page') && match ? { kind, match } : null;
    })
    .filter((s): s is DraftStep => s !== null)
    .slice(0, MAX_FUNNEL_STEPS);
  for (const where of wheres) {
    const match = /^(\d+):([^=]+)=(.*)$/s.exec(where);
    const step = match ? steps[Number(match[1]) - 1] : undefined;
    const key = match?.[2]?.trim() ?? '';
    const value = match?.[3]?.trim() ?? '';
    if (step && step.kind === 'event' && key && value) step.where = { key, value };
  }
  return steps;
}

/** The URL form of the builder's steps (empty steps dropped): the inverse of parseSteps. */
export function stepParams(steps: readonly DraftStep[]): { step: string[]; where: string[] } {
  const kept = steps.filter((s) => s.match.trim());
  const where: string[] = [];
  kept.forEach((s, i) => {
    if (hasFilter(s)) where.push(`${i + 1}:${s.where.key.trim()}=${s.where.value.trim()}`);
  });
  return { step: kept.map((s) => `${s.kind}:${s.match.trim()}`), where };
}

/** A step as `POST …/reports/funnel` takes it. */
export function toStepInput(step: DraftStep): FunnelStepInput {
  if (step.kind === 'page') return { page: step.match };
  return {
    event: step.match,
    ...(hasFilter(step) ? { properties: { [step.where.key.trim()]: step.where.value.trim() } } : {}),
  };
}
