import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeEntry,
  decodeEvent,
  encodeEvent,
  messageHash,
  type PipelineEvent,
  storedMessageHash,
} from './pipeline-event.js';

const text = fc.option(fc.string({ maxLength: 40 }), { nil: null });
// As ingest has them: parsed from JSON (fc.jsonValue also makes -0, which no JSON text carries).
const json = fc
  .dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 })
  .map((value) => JSON.parse(JSON.stringify(value)) as Record<string, unknown>);

/** Any event ingest could hand the buffer. */
const pipelineEvent: fc.Arbitrary<PipelineEvent> = fc.record({
  messageId: fc.string({ minLength: 1, maxLength: 40 }),
  type: fc.constantFrom('track', 'page', 'screen', 'identify', 'group', 'alias'),
  event: text,
  name: text,
  userId: text,
  anonymousId: text,
  groupId: text,
  previousId: text,
  sessionId: text,
  timestampMs: fc.integer({ min: 0, max: 253_402_300_799_999 }),
  sentAtMs: fc.option(fc.integer({ min: 0, max: 253_402_300_799_999 }), { nil: null }),
  receivedAtMs: fc.integer({ min: 0, max: 253_402_300_799_999 }),
  properties: json,
  traits: json,
  context: json,
  pagePath: text,
  pageHost: text,
  pageTitle: text,
  referrerHost: text,
  channel: fc.constantFrom('direct', 'search', 'social', 'email', 'paid', 'referral', 'internal'),
  utmSource: text,
  utmMedium: text,
  utmCampaign: text,
  utmTerm: text,
  utmContent: text,
  deviceType: fc.constantFrom('desktop', 'mobile', 'tablet', 'other'),
  browser: text,
  os: text,
  country: text,
  isBot: fc.boolean(),
  revenue: fc.option(fc.double({ min: 0, max: 1e12, noNaN: true }), { nil: null }),
  currency: text,
  orderId: text,
  isServer: fc.boolean(),
});

describe('the buffer format of an event', () => {
  it('decodes every event to exactly what was encoded, with its store', () => {
    fc.assert(
      fc.property(pipelineEvent, (event) => {
        const decoded = decodeEvent('7', encodeEvent(event));
        expect(decoded).toEqual({ ok: true, event: { ...event, storeId: 7 } });
      }),
    );
  });

  it('is a third smaller than the event as a JSON object', () => {
    const event = fc.sample(pipelineEvent, { numRuns: 1, seed: 3 })[0] as PipelineEvent;
    expect(encodeEvent(event).length).toBeLessThan(JSON.stringify(event).length - 300);
  });

  it('still decodes entries written as objects, and positional ones from a writer with fewer fields', () => {
    const [event] = fc.sample(pipelineEvent, { numRuns: 1, seed: 5 }) as [PipelineEvent];
    expect(decodeEvent('3', JSON.stringify(event))).toEqual({ ok: true, event: { ...event, storeId: 3 } });
    // An older writer that knew the fields up to `orderId`: the missing `isServer` takes its default.
    const fields = JSON.parse(encodeEvent(event)) as unknown[];
    const older = decodeEvent('3', JSON.stringify(fields.slice(0, -1)));
    expect(older).toEqual({ ok: true, event: { ...event, storeId: 3, isServer: false } });
  });

  it('sends damaged and unknown payloads to the dead letters with a reason, keeping the rest of the entry', () => {
    const [event] = fc.sample(pipelineEvent, { numRuns: 1, seed: 9 }) as [PipelineEvent];
    const entry = decodeEntry('4', [
      encodeEvent(event),
      '[2,"from the future"]',
      '{"type":"track"}',
      'not json',
    ]);
    expect(entry).toMatchObject({ ok: true, storeId: 4, events: [{ ...event, storeId: 4 }] });
    const reasons = entry.ok ? entry.damaged.map((d) => d.reason) : [];
    expect(reasons).toEqual(['payload format is unknown', 'payload has no messageId', 'payload is not JSON']);
  });
});

describe("a stored event's message hash", () => {
  it('is the hash of its current message id, and leaves the event as it was', () => {
    fc.assert(
      fc.property(pipelineEvent, fc.string({ minLength: 1, maxLength: 40 }), (event, otherId) => {
        const decoded = decodeEvent('7', encodeEvent(event));
        if (!decoded.ok) throw new Error(decoded.reason);
        const stored = decoded.event;
        const before = JSON.stringify(stored);
        expect(storedMessageHash(stored)).toEqual(messageHash(event.messageId));
        expect(storedMessageHash(stored)).toEqual(messageHash(event.messageId));
        expect(JSON.stringify(stored)).toBe(before);
        expect({ ...stored }).toEqual(stored);
        stored.messageId = otherId;
        expect(storedMessageHash(stored)).toEqual(messageHash(otherId));
      }),
    );
  });
});
