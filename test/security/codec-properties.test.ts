import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIsoTimestampMs, resolveEventTime } from '../../src/modules/ingest/enrich-time.js';
// Pure functions, tested from the security suite for what the suites beside them did not yet state as
// properties: canonical ids (no two texts name one row), key parsing that never throws, and the timestamp and id
// validators of the tracking API.
import { readId } from '../../src/modules/ingest/event-validation.js';
import { generateKey, KEY_TYPES, parseKey } from '../../src/modules/keys/index.js';
import { sha256 } from '../../src/platform/crypto.js';
import { decodeUid, encodeUid, ID_PREFIXES, parsePublicId, toPublicId } from '../../src/platform/ids.js';

const PREFIXES = Object.values(ID_PREFIXES);
// Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
const FIRST_MS = new Date(0).setUTCFullYear(1, 0, 1);
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

describe('id codec properties', () => {
  it('round-trips any 16 bytes through every prefix, and refuses the id under any other prefix', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.constantFrom(...PREFIXES),
        (bytes, prefix) => {
          const id = toPublicId(prefix, bytes);
          expect(id).toMatch(new RegExp(`^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`));
          expect(Buffer.from(parsePublicId(prefix, id) as Uint8Array).equals(Buffer.from(bytes))).toBe(true);
          for (const other of PREFIXES) if (other !== prefix) expect(parsePublicId(other, id)).toBeNull();
        },
      ),
    );
  });

  it('is canonical up to case: a text that decodes is the encoding of what it decodes to', () => {
    // Crockford base32 is read case-insensitively on purpose; beyond case, no two texts (look-alike letters
    // i, l, o, u, or values over 128 bits) may name one row.
    const base32ish = fc.string({
      unit: fc.constantFrom(...'0123456789abcdefghijklmnopqrstuvwxyzABCDEFILOU'),
      minLength: 26,
      maxLength: 26,
    });
    fc.assert(
      fc.property(base32ish, (text) => {
        const decoded = decodeUid(text);
        return decoded === null || encodeUid(decoded) === text.toLowerCase();
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on any value and accepts no integer id', () => {
    fc.assert(
      fc.property(fc.anything(), fc.constantFrom(...PREFIXES), (value, prefix) => {
        const parsed = parsePublicId(prefix, value);
        return parsed === null || (typeof value === 'string' && value.startsWith(`${prefix}_`));
      }),
    );
    fc.assert(
      fc.property(fc.oneof(fc.integer(), fc.bigInt()), fc.constantFrom(...PREFIXES), (n, prefix) => {
        return (
          parsePublicId(prefix, n) === null &&
          parsePublicId(prefix, String(n)) === null &&
          parsePublicId(prefix, `${prefix}_${n}`) === null
        );
      }),
    );
  });
});

describe('key codec properties', () => {
  it('parses every generated key back to its type and the SHA-256 of the key', () => {
    fc.assert(
      fc.property(fc.constantFrom(...KEY_TYPES), (type) => {
        const key = generateKey(type);
        const parsed = parseKey(key);
        expect(parsed?.type).toBe(type);
        expect(parsed?.hash.equals(sha256(key))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses a generated key with anything added, removed or wrapped around it', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...KEY_TYPES),
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.nat({ max: 40 }),
        (type, extra, cut) => {
          const key = generateKey(type);
          const shorter = key.slice(0, Math.min(cut, key.length - 1));
          return (
            parseKey(`${key}${extra}`) === null &&
            parseKey(`${extra}${key}`) === null &&
            parseKey(shorter) === null &&
            parseKey(key.toUpperCase()) === null
          );
        },
      ),
    );
  });

  it('never throws on any value, and a publishable key is never read as a secret one', () => {
    fc.assert(fc.property(fc.anything(), (value) => parseKey(value) === null || typeof value === 'string'));
    fc.assert(
      fc.property(fc.constant(null), () => {
        const key = generateKey('publishable');
        return parseKey(key.replace('ff_pub_', 'ff_sk_')) === null;
      }),
      { numRuns: 200 },
    );
  });
});

describe('tracking API validator properties', () => {
  const instant = fc.integer({ min: FIRST_MS, max: LAST_MS });

  it('reads back every instant of years 1 to 9999 written as ISO-8601 in UTC', () => {
    fc.assert(fc.property(instant, (ms) => parseIsoTimestampMs(new Date(ms).toISOString()) === ms));
  });

  it('reads the same instant written with any offset from -23:59 to +23:59', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1970, 0, 2), max: Date.UTC(9998, 11, 31) }),
        fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
        (ms, offsetMinutes) => {
          const local = new Date(ms + offsetMinutes * 60_000).toISOString().slice(0, -1);
          const sign = offsetMinutes < 0 ? '-' : '+';
          const abs = Math.abs(offsetMinutes);
          const offset = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          return parseIsoTimestampMs(`${local}${offset}`) === ms;
        },
      ),
    );
  });

  it('never throws on any text and answers only null or a finite instant', () => {
    const dateish = fc.string({ unit: fc.constantFrom(...'0123456789-:+TZtz .,'), maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 80 }), dateish), (text) => {
        const ms = parseIsoTimestampMs(text);
        return ms === null || Number.isFinite(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('never accepts an event time outside the window, whatever timestamp and sentAt say', () => {
    const receivedAtMs = Date.UTC(2026, 10, 25, 12);
    const maybeIso = fc.option(
      fc.oneof(
        instant.map((ms) => new Date(ms).toISOString()),
        fc.string({ maxLength: 30 }),
      ),
      { nil: undefined },
    );
    fc.assert(
      fc.property(
        maybeIso,
        maybeIso,
        maybeIso,
        fc.integer({ min: 0, max: 400 }),
        (timestamp, originalTimestamp, sentAt, days) => {
          const backfillWindowMs = days * 86_400_000;
          const result = resolveEventTime({
            timestamp,
            originalTimestamp,
            sentAt,
            receivedAtMs,
            backfillWindowMs,
          });
          if (!result.ok) return typeof result.field === 'string';
          const { timestampMs } = result.value;
          return timestampMs >= receivedAtMs - backfillWindowMs && timestampMs <= receivedAtMs + 86_400_000;
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps ids exactly as sent, absent when blank, and refuses only what is too long or not text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const result = readId(text, 'userId');
        if (text.trim() === '') return result.ok && result.value === null;
        if (text.length > 255) return !result.ok && result.field === 'userId';
        return result.ok && result.value === text;
      }),
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = readId(value, 'userId');
        return result.ok
          ? result.value === null || typeof result.value === 'string'
          : result.field === 'userId';
      }),
    );
  });
});
