import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DraftStep, parseSteps, stepParams, toStepInput } from './funnel-steps.js';

/** Text a user could type: no surrounding blanks (they are trimmed), not empty. */
const text = (options: { noEquals?: boolean } = {}) =>
  fc
    .string({ minLength: 1, maxLength: 20 })
    .map((s) => s.trim())
    .filter((s) => s !== '' && !(options.noEquals && s.includes('=')));

const draftStep: fc.Arbitrary<DraftStep> = fc.oneof(
  fc.record({ kind: fc.constant('page' as const), match: text() }),
  fc.record({ kind: fc.constant('event' as const), match: text() }),
  fc.record({
    kind: fc.constant('event' as const),
    match: text(),
    where: fc.record({ key: text({ noEquals: true }), value: text() }),
  }),
);

describe('funnel steps in the URL', () => {
  it('reads back exactly the steps and filters it wrote', () => {
    fc.assert(
      fc.property(fc.array(draftStep, { minLength: 1, maxLength: 10 }), (steps) => {
        const params = stepParams(steps);
        expect(parseSteps(params.step, params.where)).toEqual(steps);
      }),
    );
  });

  it('writes a filter against the step it belongs to, after empty steps are dropped', () => {
    const params = stepParams([
      { kind: 'event', match: 'Product Viewed' },
      { kind: 'event', match: '  ' },
      { kind: 'event', match: 'Order Completed', where: { key: 'currency', value: 'EUR' } },
      { kind: 'event', match: 'Refund', where: { key: 'reason', value: '' } },
    ]);
    expect(params).toEqual({
      step: ['event:Product Viewed', 'event:Order Completed', 'event:Refund'],
      where: ['2:currency=EUR'],
    });
  });

  it.each([
    ['a filter on a page step', ['page:/checkout'], ['1:x=y'], [{ kind: 'page', match: '/checkout' }]],
    ['a filter on a missing step', ['event:A'], ['2:x=y'], [{ kind: 'event', match: 'A' }]],
    ['a filter without a value', ['event:A'], ['1:x='], [{ kind: 'event', match: 'A' }]],
    ['an unknown kind', ['click:Buy', 'event:A'], [], [{ kind: 'event', match: 'A' }]],
    [
      'a value containing =',
      ['event:A'],
      ['1:q=a=b'],
      [{ kind: 'event', match: 'A', where: { key: 'q', value: 'a=b' } }],
    ],
  ])('ignores or keeps %s as a user would expect', (_name, step, where, expected) => {
    expect(parseSteps(step, where)).toEqual(expected);
  });

  it('sends a filter as the step’s properties, and a half-typed one not at all', () => {
    expect(
      toStepInput({ kind: 'event', match: 'Order Completed', where: { key: 'currency', value: 'EUR' } }),
    ).toEqual({ event: 'Order Completed', properties: { currency: 'EUR' } });
    expect(
      toStepInput({ kind: 'event', match: 'Order Completed', where: { key: 'currency', value: ' ' } }),
    ).toEqual({ event: 'Order Completed' });
    expect(toStepInput({ kind: 'page', match: '/cart' })).toEqual({ page: '/cart' });
  });
});
