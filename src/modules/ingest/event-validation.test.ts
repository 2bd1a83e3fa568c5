import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_NESTING_DEPTH,
  readId,
  sanitizeObject,
  truncate,
  validateEnvelope,
  wellFormed,
} from './event-validation.js';

const base = { type: 'track', event: 'Signed Up', anonymousId: 'anon-1' };

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) value = { a: value };
  return value;
}

describe('validateEnvelope', () => {
  it.each([
    ['a non-object event', 'hello', 'event must be a JSON object', undefined],
    ['an array event', [base], 'event must be a JSON object', undefined],
    ['a missing type', { ...base, type: undefined }, 'type is required', 'type'],
    [
      'an unknown type',
      { ...base, type: 'pageview' },
      'type must be one of track, page, screen, identify, group, alias',
      'type',
    ],
    ['a numeric type', { ...base, type: 3 }, 'type must be a string', 'type'],
    [
      'no user or anonymous id',
      { type: 'track', event: 'x' },
      'userId or anonymousId is required',
      'anonymousId',
    ],
    [
      'empty ids',
      { type: 'track', event: 'x', userId: '', anonymousId: '  ' },
      'userId or anonymousId is required',
      'anonymousId',
    ],
    ['an object userId', { ...base, userId: { id: 1 } }, 'userId must be a string or a number', 'userId'],
    [
      'a 256-char anonymousId',
      { ...base, anonymousId: 'a'.repeat(256) },
      'anonymousId is longer than 255 characters',
      'anonymousId',
    ],
    [
      'a 256-char messageId',
      { ...base, messageId: 'm'.repeat(256) },
      'messageId is longer than 255 characters',
      'messageId',
    ],
    ['a track without event', { ...base, event: undefined }, 'event is required for track', 'event'],
    ['a track with a blank event', { ...base, event: '   ' }, 'event must not be empty', 'event'],
    ['a track with a numeric event', { ...base, event: 42 }, 'event must be a string', 'event'],
    [
      'a 256-char event name',
      { ...base, event: 'e'.repeat(256) },
      'event is longer than 255 characters',
      'event',
    ],
    ['a group without groupId', { type: 'group', userId: 'u1' }, 'groupId is required for group', 'groupId'],
    [
      'an alias without previousId',
      { type: 'alias', userId: 'u1' },
      'previousId is required for alias',
      'previousId',
    ],
    [
      'an alias without userId',
      { type: 'alias', anonymousId: 'a', previousId: 'p' },
      'userId is required for alias',
      'userId',
    ],
    ['array properties', { ...base, properties: [1, 2] }, 'properties must be an object', 'properties'],
    ['string traits', { type: 'identify', userId: 'u', traits: 'vip' }, 'traits must be an object', 'traits'],
    ['numeric context', { ...base, context: 5 }, 'context must be an object', 'context'],
    ['a non-string page name', { type: 'page', anonymousId: 'a', name: 7 }, 'name must be a string', 'name'],
    [
      'an infinite number',
      { ...base, properties: { n: Number.POSITIVE_INFINITY } },
      'properties.n must be a finite number',
      'properties.n',
    ],
    [
      'NaN deep in an array',
      { ...base, context: { list: [1, { x: Number.NaN }] } },
      'context.list[1].x must be a finite number',
      'context.list[1].x',
    ],
    [
      'a non-JSON value',
      { ...base, properties: { at: new Date(0) } },
      'properties.at must contain only JSON values',
      'properties.at',
    ],
  ])('rejects %s', (_label, raw, reason, field) => {
    const res = validateEnvelope(raw);
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.reason).toBe(reason);
    expect(res.field).toBe(field);
  });

  it.each([
    ['a track', base],
    ['a numeric userId', { type: 'identify', userId: 12345, traits: { plan: 'pro' } }],
    ['a page with a name', { type: 'page', anonymousId: 'a', name: 'Home' }],
    ['a screen without a name', { type: 'screen', anonymousId: 'a' }],
    ['a group', { type: 'group', userId: 'u', groupId: 'g1' }],
    ['an alias', { type: 'alias', userId: 'u', previousId: 'anon-9' }],
    ['a type in upper case', { ...base, type: 'TRACK' }],
    ['null properties', { ...base, properties: null }],
    ['ignored integrations of any shape', { ...base, integrations: 'All' }],
  ])('accepts %s', (_label, raw) => {
    expect(validateEnvelope(raw).ok).toBe(true);
  });

  it('turns numeric ids into strings and leaves absent ones null', () => {
    const res = validateEnvelope({ type: 'group', userId: 42, groupId: 7, anonymousId: null });
    expect(res.ok && res.value).toMatchObject({
      userId: '42',
      groupId: '7',
      anonymousId: null,
      messageId: null,
    });
  });

  it('ignores event and name where the type has none', () => {
    const res = validateEnvelope({ type: 'identify', userId: 'u', event: 'x', name: 'y' });
    expect(res.ok && res.value).toMatchObject({ event: null, name: null });
  });

  it('trims the event name', () => {
    const res = validateEnvelope({ ...base, event: '  Order Completed ' });
    expect(res.ok && res.value.event).toBe('Order Completed');
  });
});

describe('sanitizeObject', () => {
  it('drops prototype-pollution keys at every level, including inside arrays', () => {
    const raw: unknown = JSON.parse(
      '{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}},"ok":1,' +
        '"deep":{"prototype":2,"list":[{"__proto__":{"y":1},"keep":true}]}}',
    );
    const res = sanitizeObject(raw, 'properties');
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.value).toEqual({ ok: 1, deep: { list: [{ keep: true }] } });
    expect(Object.hasOwn(res.value, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(res.value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it(`accepts nesting of exactly ${MAX_NESTING_DEPTH} levels and rejects one more`, () => {
    expect(sanitizeObject(nested(MAX_NESTING_DEPTH), 'properties').ok).toBe(true);
    expect(sanitizeObject(nested(MAX_NESTING_DEPTH + 1), 'properties')).toEqual({
      ok: false,
      reason: `properties is nested more than ${MAX_NESTING_DEPTH} levels deep`,
      field: 'properties',
    });
  });

  it('counts arrays as nesting levels', () => {
    let value: unknown = 1;
    for (let i = 0; i < MAX_NESTING_DEPTH; i++) value = [value];
    expect(sanitizeObject({ a: value }, 'context').ok).toBe(false);
  });

  it('terminates on cyclic objects', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(sanitizeObject(cyclic, 'traits').ok).toBe(false);
  });

  it('returns clean parsed JSON as it is, and a cleaned copy — input untouched — when anything must go', () => {
    const clean = JSON.parse('{"a":{"b":[1,"x",null,true]}}') as Record<string, unknown>;
    const same = sanitizeObject(clean, 'properties');
    expect(same.ok && same.value).toBe(clean);
    const text = '{"a":{"b":1,"__proto__":{"polluted":true}},"c":[{"constructor":1}]}';
    const dirty = JSON.parse(text) as Record<string, unknown>;
    const res = sanitizeObject(dirty, 'properties');
    expect(res.ok && res.value).toEqual({ a: { b: 1 }, c: [{}] });
    expect(res.ok && res.value).not.toBe(dirty);
    expect(dirty).toEqual(JSON.parse(text));
    const holed: unknown[] = [1];
    holed[2] = 3; // a hole at index 1
    const sparse = sanitizeObject({ list: holed, gone: undefined }, 'properties');
    expect(sparse.ok && sparse.value).toEqual({ list: [1, null, 3] });
  });

  it('names awkward keys in the field path', () => {
    const res = sanitizeObject({ 'a b': Number.NaN }, 'properties');
    expect(!res.ok && res.field).toBe('properties["a b"]');
  });

  it('never leaves a forbidden own key on any object it returns', () => {
    const forbidden = fc.constantFrom('__proto__', 'constructor', 'prototype');
    const key = fc.oneof(fc.string(), forbidden);
    const tree = fc.letrec((tie) => ({
      node: fc.oneof(
        { depthSize: 'small' },
        fc.jsonValue({ maxDepth: 1 }),
        fc.dictionary(key, tie('node'), { maxKeys: 4 }),
        fc.array(tie('node'), { maxLength: 3 }),
      ),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(key, tree, { maxKeys: 5 }), (input) => {
        // Round-trip through JSON text so `__proto__` arrives as an own key, as from the wire.
        const res = sanitizeObject(JSON.parse(JSON.stringify(input)), 'properties');
        if (!res.ok) return true;
        const stack: unknown[] = [res.value];
        while (stack.length > 0) {
          const value = stack.pop();
          if (value === null || typeof value !== 'object') continue;
          for (const bad of ['__proto__', 'constructor', 'prototype']) {
            if (Object.hasOwn(value, bad)) return false;
          }
          stack.push(...Object.values(value));
        }
        return true;
      }),
    );
  });
});

describe('readId', () => {
  it.each([
    ['abc', 'abc'],
    [12, '12'],
    [0, '0'],
    ['', null],
    [null, null],
    [undefined, null],
  ])('reads %j as %j', (input, expected) => {
    expect(readId(input, 'userId')).toEqual({ ok: true, value: expected });
  });

  it.each([[true], [{}], [Number.NaN]])('rejects %j', (input) => {
    expect(readId(input, 'userId').ok).toBe(false);
  });
});

describe('truncate', () => {
  it('keeps short strings whole', () => {
    expect(truncate('abc', 5)).toBe('abc');
  });

  it('does not split a surrogate pair', () => {
    expect(truncate('ab😀', 3)).toBe('ab');
    expect(truncate('ab😀c', 4)).toBe('ab😀');
  });
});

describe('wellFormed', () => {
  it('replaces each lone surrogate by one U+FFFD and keeps pairs, as toWellFormed does', () => {
    expect(wellFormed('a\ud800b')).toBe('a\ufffdb');
    expect(wellFormed('\udc00\ud800')).toBe('\ufffd\ufffd');
    expect(wellFormed('shoes 👟')).toBe('shoes 👟');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        const result = wellFormed(value);
        expect(result.length).toBe(value.length);
        expect(Buffer.from(result, 'utf8').toString('utf8')).toBe(result); // survives UTF-8
        expect(wellFormed(result)).toBe(result);
      }),
    );
  });
});
