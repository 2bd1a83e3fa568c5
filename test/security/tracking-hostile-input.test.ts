import { randomUUID } from 'node:crypto';
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/modules/stores/index.js';
import type { Dialect } from '../../src/platform/db/database.js';
import { asKey, createTenant, createTestApp, type Tenant, type TestApp, waitFor } from '../harness/app.js';

// Hostile input to the tracking API (/v1/track, /v1/page, /v1/batch; key as Basic user name, in the body, or as
// ?writeKey= with text/plain), on both deployments. Every case asserts its status, that /healthz still answers,
// and exactly what was written: a marker event sent after the case is stored, and the store's event count is
// then `before + accepted + 1` (the buffer is FIFO, so anything the case had sneaked in would be counted too);
// the neighbour store's count does not move. Test names start with their category in brackets, so
// `vitest list` shows the counts per category.
const SETUPS: { dialect: Dialect; redis: boolean; label: string }[] = [
  { dialect: 'sqlite', redis: false, label: 'sqlite + in-process buffer' },
  { dialect: 'mysql', redis: true, label: 'mysql + redis stream' },
];

const basic = (key: string) => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const JSON_TYPE = { 'content-type': 'application/json' };

/** What a case needs to build its request. */
interface Ctx {
  writeKey: string;
  secretKey: string;
  /** The neighbour store's public id and write key. */
  otherStoreId: string;
  otherWriteKey: string;
  nowIso: string;
  event: (fields?: Record<string, unknown>) => Record<string, unknown>;
}

interface Req {
  url?: string;
  body: string | Buffer;
  /** Replaces the default headers (JSON content type, the write key as Basic user name). */
  headers?: Record<string, string>;
}

interface RefusedCase {
  name: string;
  status: number;
  /** A second acceptable status, where the answer depends on the Node version (never a 500). */
  orStatus?: number;
  code?: string;
  req: (c: Ctx) => Req;
}

const withKey = (c: Ctx, extra: Record<string, string> = {}) => ({
  ...JSON_TYPE,
  authorization: basic(c.writeKey),
  ...extra,
});
const nested = (depth: number, open = '{"a":', close = '}') => `${open.repeat(depth)}1${close.repeat(depth)}`;
const tenThousandKeys = () => Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`k${i}`, i]));

// --- Tables of requests that must be refused whole -----------------------------------------------------------

const BODY_CASES: RefusedCase[] = [
  { name: 'malformed JSON', status: 400, code: 'malformed_body', req: () => ({ body: '{"event": "x",' }) },
  {
    name: 'truncated JSON batch',
    status: 400,
    code: 'malformed_body',
    req: (c) => ({ url: '/v1/batch', body: JSON.stringify({ batch: [c.event()] }).slice(0, -7) }),
  },
  { name: 'empty body', status: 400, req: () => ({ body: '' }) },
  { name: 'whitespace body', status: 400, req: () => ({ body: '   \n ' }) },
  { name: 'JSON string', status: 400, req: () => ({ body: '"just a string"' }) },
  { name: 'JSON number', status: 400, req: () => ({ body: '42' }) },
  { name: 'JSON null', status: 400, req: () => ({ body: 'null' }) },
  { name: 'array for a single event', status: 400, req: (c) => ({ body: JSON.stringify([c.event()]) }) },
  {
    name: 'batch that is an object',
    status: 400,
    req: (c) => ({ url: '/v1/batch', body: JSON.stringify({ batch: { 0: c.event() } }) }),
  },
  {
    name: 'batch without the batch field',
    status: 400,
    req: (c) => ({ url: '/v1/batch', body: JSON.stringify({ events: [c.event()] }) }),
  },
  {
    name: 'byte-order mark before JSON',
    status: 400,
    req: (c) => ({ body: `\ufeff${JSON.stringify(c.event())}` }),
  },
  { name: 'JSON with a comment', status: 400, req: () => ({ body: '{"event":"x" /* hi */}' }) },
  { name: 'single-quoted JSON', status: 400, req: () => ({ body: "{'event':'x'}" }) },
  { name: 'two JSON documents', status: 400, req: (c) => ({ body: `${JSON.stringify(c.event())}{}` }) },
  { name: 'NaN literal', status: 400, req: () => ({ body: '{"event":"x","properties":{"n":NaN}}' }) },
  {
    name: 'Infinity literal',
    status: 400,
    req: () => ({ body: '{"event":"x","properties":{"n":Infinity}}' }),
  },
  {
    name: 'undefined literal',
    status: 400,
    req: () => ({ body: '{"event":"x","properties":{"n":undefined}}' }),
  },
  { name: 'hex number literal', status: 400, req: () => ({ body: '{"event":"x","properties":{"n":0x10}}' }) },
];

const CONTENT_TYPE_CASES: RefusedCase[] = [
  ...[
    'application/xml',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'text/html',
    'application/octet-stream',
    'application/javascript',
  ].map(
    (type): RefusedCase => ({
      name: `content type ${type}`,
      status: 415,
      req: (c) => ({ body: JSON.stringify(c.event()), headers: withKey(c, { 'content-type': type }) }),
    }),
  ),
  {
    name: 'no content type',
    status: 415,
    req: (c) => ({ body: JSON.stringify(c.event()), headers: { authorization: basic(c.writeKey) } }),
  },
  {
    name: 'content encoding br',
    status: 415,
    req: (c) => ({
      body: JSON.stringify(c.event()),
      headers: withKey(c, { 'content-encoding': 'br' }),
    }),
  },
  {
    name: 'content encoding gzip, body not gzip',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event()), headers: withKey(c, { 'content-encoding': 'gzip' }) }),
  },
  {
    name: 'content encoding gzip, truncated gzip',
    status: 400,
    req: (c) => ({
      body: gzipSync(JSON.stringify(c.event())).subarray(0, 20),
      headers: withKey(c, { 'content-encoding': 'gzip' }),
    }),
  },
  {
    name: 'gzip bomb: 10 MB of zeros in about 10 KB',
    status: 413,
    req: (c) => ({
      body: gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20)),
      headers: withKey(c, { 'content-encoding': 'gzip' }),
    }),
  },
  {
    name: 'deflate bomb: 10 MB of zeros in about 10 KB',
    status: 413,
    req: (c) => ({
      body: deflateSync(Buffer.alloc(10 * 1024 * 1024, 0x20)),
      headers: withKey(c, { 'content-encoding': 'deflate' }),
    }),
  },
  {
    name: 'gzip of a JSON object padded past 500 KB',
    status: 413,
    req: (c) => ({
      url: '/v1/batch',
      body: gzipSync(JSON.stringify({ batch: [c.event()], pad: 'p'.repeat(600 * 1024) })),
      headers: withKey(c, { 'content-encoding': 'gzip' }),
    }),
  },
];

const LIMIT_CASES: RefusedCase[] = [
  {
    name: 'single event over 32 KB on /v1/track',
    status: 413,
    req: (c) => ({ body: JSON.stringify(c.event({ properties: { blob: 'y'.repeat(33 * 1024) } })) }),
  },
  {
    name: 'single event over 32 KB on /v1/page',
    status: 413,
    req: (c) => ({
      url: '/v1/page',
      body: JSON.stringify(
        c.event({ type: 'page', name: 'Big', properties: { blob: 'y'.repeat(40 * 1024) } }),
      ),
    }),
  },
  {
    name: 'request over 500 KB on /v1/batch',
    status: 413,
    req: (c) => ({
      url: '/v1/batch',
      body: JSON.stringify({
        batch: Array.from({ length: 20 }, () => c.event({ properties: { pad: 'x'.repeat(26 * 1024) } })),
      }),
    }),
  },
  {
    name: 'request over 500 KB on /v1/track as text/plain with ?writeKey=',
    status: 413,
    req: (c) => ({
      url: `/v1/track?writeKey=${encodeURIComponent(c.writeKey)}`,
      body: JSON.stringify(c.event({ properties: { pad: 'x'.repeat(510 * 1024) } })),
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
    }),
  },
  {
    name: '2,501 events in one batch',
    status: 413,
    req: (c) => ({
      url: '/v1/batch',
      body: JSON.stringify({ batch: Array.from({ length: 2501 }, () => c.event()) }),
    }),
  },
  {
    name: '10,000-key properties object',
    status: 413,
    req: (c) => ({ body: JSON.stringify(c.event({ properties: tenThousandKeys() })) }),
  },
  {
    name: '10,000-key event object',
    status: 413,
    req: (c) => ({ body: JSON.stringify({ ...tenThousandKeys(), ...c.event() }) }),
  },
  {
    name: '100,000-element array in properties',
    status: 413,
    req: (c) => ({ body: JSON.stringify(c.event({ properties: { list: new Array(100_000).fill(0) } })) }),
  },
];

const STRUCTURE_CASES: RefusedCase[] = [
  ...(['properties', 'traits', 'context'] as const).map(
    (field): RefusedCase => ({
      name: `${field} nested 33 levels deep`,
      status: 400,
      req: (c) => {
        const event = JSON.stringify(c.event({ type: 'identify', [field]: { x: 1 } }));
        return { url: '/v1/identify', body: event.replace('{"x":1}', nested(33)) };
      },
    }),
  ),
  {
    name: 'properties nested 5,000 levels deep (objects)',
    status: 400,
    req: (c) => ({
      body: JSON.stringify(c.event({ properties: { x: 1 } })).replace('{"x":1}', nested(5000)),
    }),
  },
  {
    // Over 32 KB, so the per-event size check runs on it: on Node 20 measuring it overflowed the stack (a 500)
    // until jsonBytes caught that, and the depth check refuses it (400); Node 26 measures it (413).
    name: 'properties nested 50,000 levels deep (arrays, over 32 KB)',
    status: 400,
    orStatus: 413,
    req: (c) => ({
      body: JSON.stringify(c.event({ properties: { x: 1 } })).replace(
        '{"x":1}',
        `{"x":${nested(50_000, '[', ']')}}`,
      ),
    }),
  },
  {
    name: 'properties is a string',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ properties: 'x' })) }),
  },
  {
    name: 'properties is an array',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ properties: [1] })) }),
  },
  {
    name: 'context is a number',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ context: 7 })) }),
  },
  {
    name: 'event name is an object',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ event: { $ne: null } })) }),
  },
  {
    name: 'event name of 256 characters',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ event: 'e'.repeat(256) })) }),
  },
  {
    name: 'messageId of 256 characters',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ messageId: 'm'.repeat(256) })) }),
  },
  {
    name: 'userId is an array',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ userId: ['a'] })) }),
  },
  {
    name: 'no userId nor anonymousId',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ anonymousId: null })) }),
  },
];

const NUMBER_CASES: RefusedCase[] = [
  {
    name: '1e400 in properties',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ properties: { n: 1 } })).replace('"n":1', '"n":1e400') }),
  },
  {
    name: '-1e400 in traits',
    status: 400,
    req: (c) => ({
      url: '/v1/identify',
      body: JSON.stringify(c.event({ type: 'identify', traits: { n: 1 } })).replace('"n":1', '"n":-1e400'),
    }),
  },
  {
    name: '1e400 in context',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ context: { n: 1 } })).replace('"n":1', '"n":1e999') }),
  },
  {
    name: '1e400 as userId',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ userId: 1 })).replace('"userId":1', '"userId":1e400') }),
  },
  {
    name: 'Order Completed with total 1e400',
    status: 400,
    req: (c) => ({
      body: JSON.stringify(
        c.event({ event: 'Order Completed', properties: { order_id: 'o-inf', total: 1, currency: 'EUR' } }),
      ).replace('"total":1', '"total":1e400'),
    }),
  },
  {
    name: 'Order Completed with total as a string',
    status: 400,
    req: (c) => ({
      body: JSON.stringify(
        c.event({
          event: 'Order Completed',
          properties: { order_id: 'o-str', total: '12', currency: 'EUR' },
        }),
      ),
    }),
  },
];

const TIME_CASES: RefusedCase[] = [
  ...[
    ['far past (1970)', '1970-01-01T00:00:00Z'],
    ['year 1', '0001-01-01T00:00:00Z'],
    ['far future (9999)', '9999-12-31T23:59:59Z'],
    ['two days ahead', '2026-11-27T12:00:01Z'],
    ['expanded year +275760', '+275760-09-13T00:00:00Z'],
    ['not a date', 'yesterday'],
    ['month 13', '2026-13-01T00:00:00Z'],
    ['February 30', '2026-02-30T00:00:00Z'],
    ['hour 25', '2026-11-25T25:00:00Z'],
    ['offset +24:00', '2026-11-25T12:00:00+24:00'],
    ['SQL in timestamp', "2026-11-25' OR '1'='1"],
    ['70 characters', `2026-11-25T12:00:00.${'0'.repeat(50)}Z`],
  ].map(
    ([name, timestamp]): RefusedCase => ({
      name: `timestamp ${name}`,
      status: 400,
      req: (c) => ({ body: JSON.stringify(c.event({ timestamp })) }),
    }),
  ),
  {
    name: 'timestamp as a number',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ timestamp: 1764072000000 })) }),
  },
  {
    name: 'timestamp as an object',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ timestamp: { $date: 1 } })) }),
  },
  {
    name: 'sentAt malformed',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ sentAt: 'soon' })) }),
  },
  {
    name: 'sentAt skew pushing the event 10 years back',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ timestamp: c.nowIso, sentAt: '2036-11-25T12:00:00Z' })) }),
  },
  {
    name: 'originalTimestamp malformed',
    status: 400,
    req: (c) => ({ body: JSON.stringify(c.event({ timestamp: undefined, originalTimestamp: 'x' })) }),
  },
];

const KEY_CASES: RefusedCase[] = [
  {
    name: 'no key at all',
    status: 401,
    req: (c) => ({ body: JSON.stringify(c.event()), headers: JSON_TYPE }),
  },
  {
    name: 'unknown key of a valid shape',
    status: 401,
    req: (c) => ({
      body: JSON.stringify(c.event()),
      headers: { ...JSON_TYPE, authorization: basic(`ff_pub_${'A'.repeat(28)}`) },
    }),
  },
  {
    name: 'key with one character changed',
    status: 401,
    req: (c) => ({
      body: JSON.stringify(c.event()),
      headers: {
        ...JSON_TYPE,
        authorization: basic(`${c.writeKey.slice(0, -1)}${c.writeKey.endsWith('A') ? 'B' : 'A'}`),
      },
    }),
  },
  {
    name: 'SQL as the key',
    status: 401,
    req: (c) => ({
      body: JSON.stringify(c.event()),
      headers: { ...JSON_TYPE, authorization: basic("' OR '1'='1") },
    }),
  },
  {
    name: 'SQL as ?writeKey=',
    status: 401,
    req: (c) => ({
      url: `/v1/track?writeKey=${encodeURIComponent("ff_pub_' OR 1=1 --")}`,
      body: JSON.stringify(c.event()),
      headers: { 'content-type': 'text/plain' },
    }),
  },
  {
    name: 'writeKey in the body as an object',
    status: 401,
    req: (c) => ({ body: JSON.stringify({ ...c.event(), writeKey: { $ne: null } }), headers: JSON_TYPE }),
  },
  {
    name: 'writeKey twice in the query',
    status: 401,
    req: (c) => ({
      url: `/v1/track?writeKey=${c.writeKey}&writeKey=${c.writeKey}`,
      body: JSON.stringify(c.event()),
      headers: { 'content-type': 'text/plain' },
    }),
  },
  {
    name: 'key of 10,000 characters',
    status: 401,
    req: (c) => ({
      body: JSON.stringify(c.event()),
      headers: { ...JSON_TYPE, authorization: basic(`ff_pub_${'z'.repeat(10_000)}`) },
    }),
  },
  {
    name: 'Digest authorization scheme',
    status: 401,
    req: (c) => ({
      body: JSON.stringify(c.event()),
      headers: { ...JSON_TYPE, authorization: `Digest username="${c.writeKey}"` },
    }),
  },
  {
    name: 'Basic with invalid base64',
    status: 401,
    req: (c) => ({
      body: JSON.stringify(c.event()),
      headers: { ...JSON_TYPE, authorization: 'Basic !!!notbase64' },
    }),
  },
  {
    name: 'Basic with an empty user name and the key as password',
    status: 401,
    req: (c) => ({
      body: JSON.stringify(c.event()),
      headers: { ...JSON_TYPE, authorization: `Basic ${Buffer.from(`:${c.writeKey}`).toString('base64')}` },
    }),
  },
  {
    name: 'secret key sent from a browser origin',
    status: 403,
    req: (c) => ({
      body: JSON.stringify(c.event()),
      headers: { ...JSON_TYPE, authorization: `Bearer ${c.secretKey}`, origin: 'https://shop.example' },
    }),
  },
];

const CASES_BY_CATEGORY: [string, RefusedCase[]][] = [
  ['body', BODY_CASES],
  ['content type and encoding', CONTENT_TYPE_CASES],
  ['size limits', LIMIT_CASES],
  ['structure', STRUCTURE_CASES],
  ['numbers', NUMBER_CASES],
  ['timestamps', TIME_CASES],
  ['keys', KEY_CASES],
];
const REFUSED = CASES_BY_CATEGORY.flatMap(([category, cases]) =>
  cases.map((c) => ({ ...c, label: `[${category}] ${c.name}` })),
);

// --- Inputs that are accepted and must be stored verbatim ---------------------------------------------------

const SQL_STRINGS = [
  "' OR '1'='1",
  "'; DROP TABLE events; --",
  "\\'; DROP TABLE events; -- ",
  '" OR ""="',
  '1); DELETE FROM api_keys WHERE (1=1',
  "x' UNION SELECT key_hash FROM api_keys --",
  '%_%\\%',
  '$1 ? :name @v',
];

/** Every string field of the tracking API, each carrying the payload once, as one batch of events. */
function eventsCarrying(s: string, c: Ctx): { field: string; event: Record<string, unknown> }[] {
  const base = () => ({ messageId: randomUUID(), anonymousId: `anon-${randomUUID()}`, timestamp: c.nowIso });
  return [
    { field: 'event', event: { ...base(), type: 'track', event: s } },
    {
      field: 'messageId',
      event: { ...base(), type: 'track', event: 'E', messageId: `${s}-${randomUUID()}` },
    },
    { field: 'anonymousId', event: { ...base(), type: 'track', event: 'E', anonymousId: s } },
    { field: 'userId', event: { ...base(), type: 'track', event: 'E', userId: s } },
    { field: 'page name', event: { ...base(), type: 'page', name: s } },
    { field: 'groupId', event: { ...base(), type: 'group', groupId: s } },
    { field: 'previousId', event: { ...base(), type: 'alias', userId: 'u-alias', previousId: s } },
    { field: 'property value', event: { ...base(), type: 'track', event: 'E', properties: { v: s } } },
    { field: 'property key', event: { ...base(), type: 'track', event: 'E', properties: { [s]: 1 } } },
    { field: 'trait value', event: { ...base(), type: 'identify', traits: { name: s } } },
    {
      field: 'context page path',
      event: { ...base(), type: 'page', context: { page: { path: `/${s}`, url: `https://shop.example/x` } } },
    },
    {
      field: 'utm campaign',
      event: { ...base(), type: 'page', context: { campaign: { name: s, source: s } } },
    },
    { field: 'user agent', event: { ...base(), type: 'track', event: 'E', context: { userAgent: s } } },
  ];
}

const HTML_STRINGS = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '"><svg onload=alert(document.cookie)>',
  'javascript:alert(1)',
  '{{constructor.constructor("alert(1)")()}}',
  '</textarea><iframe src=//evil.example>',
];

const PROTO_CASES: { name: string; body: (c: Ctx) => string }[] = [
  {
    name: '__proto__ in properties',
    body: (c) =>
      JSON.stringify(c.event({ properties: { ok: 1 } })).replace(
        '"ok":1',
        '"ok":1,"__proto__":{"polluted":"yes"}',
      ),
  },
  {
    name: '__proto__ in traits',
    body: (c) =>
      JSON.stringify(c.event({ traits: { ok: 1 } })).replace(
        '"ok":1',
        '"ok":1,"__proto__":{"polluted":"yes"}',
      ),
  },
  {
    name: '__proto__ in context',
    body: (c) =>
      JSON.stringify(c.event({ context: { ok: 1 } })).replace(
        '"ok":1',
        '"ok":1,"__proto__":{"polluted":"yes"}',
      ),
  },
  {
    name: '__proto__ at the event root',
    body: (c) => JSON.stringify(c.event()).replace('{', '{"__proto__":{"polluted":"yes"},'),
  },
  {
    name: '__proto__ nested 3 deep',
    body: (c) =>
      JSON.stringify(c.event({ properties: { ok: 1 } })).replace(
        '"ok":1',
        '"ok":1,"a":{"b":{"__proto__":{"polluted":"yes"}}}',
      ),
  },
  {
    name: '__proto__ inside an array',
    body: (c) =>
      JSON.stringify(c.event({ properties: { ok: 1 } })).replace(
        '"ok":1',
        '"ok":1,"list":[{"__proto__":{"polluted":"yes"}}]',
      ),
  },
  {
    name: 'constructor.prototype in properties',
    body: (c) =>
      JSON.stringify(c.event({ properties: { ok: 1, constructor: { prototype: { polluted: 'yes' } } } })),
  },
  {
    name: 'prototype key in traits',
    body: (c) => JSON.stringify(c.event({ traits: { ok: 1, prototype: { polluted: 'yes' } } })),
  },
  {
    name: '__proto__ in the batch context',
    body: (c) =>
      JSON.stringify({ batch: [c.event()], context: { ok: 1 } }).replace(
        '"ok":1',
        '"ok":1,"__proto__":{"polluted":"yes"}',
      ),
  },
  {
    name: '__proto__ at the batch root',
    body: (c) => JSON.stringify({ batch: [c.event()] }).replace('{', '{"__proto__":{"polluted":"yes"},'),
  },
];

/** Ids and names that are also Object.prototype members: they must work as plain strings (maps, not objects). */
const PROTO_NAMES = ['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'];

/** Strings with lone surrogates and control characters, and what the API answers with for them. */
const ODD_STRINGS: { name: string; value: string }[] = [
  { name: 'lone high surrogate', value: 'a\ud800b' },
  { name: 'lone low surrogate', value: 'a\udc00b' },
  { name: 'reversed surrogate pair', value: '\udc00\ud800' },
  { name: 'NUL byte', value: 'a\u0000b' },
  { name: 'bell and escape', value: 'a\u0007\u001bb' },
  { name: 'DEL and C1 controls', value: 'a\u007f\u0085\u009fb' },
  { name: 'CR LF', value: 'line\r\nInjected-Header: 1' },
  { name: 'right-to-left override', value: 'abc\u202Egpj.exe' },
  { name: 'zero-width joiner', value: 'a\u200db\ufeff' },
  { name: 'four-byte emoji', value: 'shoes 👟🏳️‍🌈' },
  { name: 'noncharacter', value: 'a\uffffb\ufffe' },
];

/** A lone surrogate cannot be stored as UTF-8: it becomes U+FFFD. Everything else comes back unchanged. */
const asStored = (value: string) =>
  value.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

describe.each(SETUPS)('hostile input to the tracking API on $label', ({ dialect, redis }) => {
  let t: TestApp;
  let tenant: Tenant;
  let other: Tenant;
  let store: Store;
  let otherStore: Store;

  beforeAll(async () => {
    // One consumer: the marker check relies on the buffer being drained in order.
    t = await createTestApp(dialect, {
      redis,
      pipelineOptions: { flushIntervalMs: 20, workerConcurrency: 1 },
    });
    tenant = await createTenant(t, `hostile${dialect}`);
    other = await createTenant(t, `neighbour${dialect}`);
    const found = await t.services.stores.findByPublicId(tenant.storeId);
    const foundOther = await t.services.stores.findByPublicId(other.storeId);
    if (!found || !foundOther) throw new Error('stores missing');
    store = found;
    otherStore = foundOther;
  });
  afterAll(async () => {
    await t?.close();
  });

  const ctx = (): Ctx => ({
    writeKey: tenant.writeKey,
    secretKey: tenant.secretKey,
    otherStoreId: other.storeId,
    otherWriteKey: other.writeKey,
    nowIso: new Date(t.clock.nowMs()).toISOString(),
    event: (fields = {}) => ({
      type: 'track',
      event: 'Button Clicked',
      messageId: randomUUID(),
      anonymousId: `anon-${randomUUID()}`,
      timestamp: new Date(t.clock.nowMs()).toISOString(),
      ...fields,
    }),
  });

  const post = (req: Req, c: Ctx) =>
    t.app.inject({
      method: 'POST',
      url: req.url ?? '/v1/track',
      headers: req.headers ?? withKey(c),
      payload: req.body,
    });

  const counts = async () => ({
    mine: await t.services.pipeline.events.count(store.id),
    neighbour: await t.services.pipeline.events.count(otherStore.id),
  });

  const storedByMessageId = async (messageId: string, who: Tenant = tenant) => {
    const response = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${who.storeId}/events`,
      query: { messageId },
      headers: asKey(who.secretKey),
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    return (response.json() as { items: Record<string, unknown>[] }).items;
  };

  /**
   * The server answers /healthz, nothing leaked onto Object.prototype, and exactly `accepted` events of the
   * case were stored: a marker sent after it is stored, then the count is before + accepted + 1.
   */
  const expectHealthyAndWritten = async (before: { mine: number; neighbour: number }, accepted: number) => {
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const marker = randomUUID();
    const sent = await post({ body: JSON.stringify(ctx().event({ messageId: marker })) }, ctx());
    expect(sent.statusCode).toBe(200);
    await waitFor(
      () => storedByMessageId(marker),
      (items) => items.length === 1,
      { what: 'the marker event' },
    );
    expect(await counts()).toEqual({ mine: before.mine + accepted + 1, neighbour: before.neighbour });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  };

  it.each(REFUSED)('$label → $status problem+json, nothing written, server healthy', async (c) => {
    const before = await counts();
    const context = ctx();
    const response = await post(c.req(context), context);
    const status = c.orStatus === response.statusCode ? c.orStatus : c.status;
    expect(response.statusCode, response.body.slice(0, 300)).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem).toMatchObject({
      status,
      title: expect.any(String),
      detail: expect.any(String),
    });
    if (c.code) expect(problem.code).toBe(c.code);
    await expectHealthyAndWritten(before, 0);
  });

  it.each(PROTO_CASES)('[prototype keys] $name → accepted without the key, no pollution', async (c) => {
    const before = await counts();
    const context = ctx();
    const url = c.name.includes('batch') ? '/v1/batch' : '/v1/track';
    const body = c.body(context);
    const response = await post({ url, body }, context);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ accepted: 1, rejected: [] });
    const messageId = /"messageId":"([^"]+)"/.exec(body)?.[1] as string;
    await expectHealthyAndWritten(before, 1);
    const [stored] = await storedByMessageId(messageId);
    const text = JSON.stringify(stored);
    expect(text).not.toContain('__proto__');
    expect(text).not.toContain('polluted');
    for (const field of ['properties', 'traits', 'context'] as const) {
      const value = stored?.[field] as Record<string, unknown>;
      expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
      expect(value.polluted).toBeUndefined();
      expect(Object.hasOwn(value, 'constructor')).toBe(false);
      expect(Object.hasOwn(value, 'prototype')).toBe(false);
    }
  });

  it.each(PROTO_NAMES)(
    '[prototype keys] %s as event name, ids and property keys is stored as plain text',
    async (name) => {
      const before = await counts();
      const context = ctx();
      const events = [
        context.event({ event: name, anonymousId: name, properties: { order: 1 } }),
        context.event({ event: 'Named', userId: name, anonymousId: null }),
        { ...context.event({ type: 'page', name, anonymousId: `anon-${name}` }), event: undefined },
        context.event({ type: 'group', groupId: name, event: undefined }),
      ];
      const response = await post({ url: '/v1/batch', body: JSON.stringify({ batch: events }) }, context);
      expect(response.statusCode).toBe(200);
      expect(response.json()).toMatchObject({ accepted: events.length, rejected: [] });
      await expectHealthyAndWritten(before, events.length);
      const [first] = await storedByMessageId(events[0]?.messageId as string);
      expect(first).toMatchObject({ event: name, anonymousId: name });
      const [second] = await storedByMessageId(events[1]?.messageId as string);
      expect(second).toMatchObject({ userId: name });
    },
  );

  it.each(SQL_STRINGS)('[sql] %s in every field (13 fields) is stored verbatim, tables intact', async (s) => {
    const before = await counts();
    const context = ctx();
    const carriers = eventsCarrying(s, context);
    const response = await post(
      { url: '/v1/batch', body: JSON.stringify({ batch: carriers.map((x) => x.event) }) },
      context,
    );
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ accepted: carriers.length, rejected: [] });
    await expectHealthyAndWritten(before, carriers.length);
    for (const { field, event } of carriers) {
      const [stored] = await storedByMessageId(event.messageId as string);
      expect(stored, field).toBeDefined();
      const expected: Record<string, unknown> = {
        event: { event: s.trim() },
        messageId: { messageId: event.messageId },
        anonymousId: { anonymousId: s },
        userId: { userId: s },
        'page name': { name: s.trim() },
        groupId: { groupId: s },
        previousId: { previousId: s },
        'property value': { properties: { v: s } },
        'property key': { properties: { [s]: 1 } },
        'trait value': { traits: { name: s } },
        'context page path': { context: { page: { path: `/${s}` } } },
        'utm campaign': { context: { campaign: { name: s, source: s } } },
        'user agent': { context: { userAgent: s } },
      }[field] as Record<string, unknown>;
      expect(stored, field).toMatchObject(expected);
    }
    // The neighbour's key and store still work: nothing was dropped or rewritten.
    const theirs = context.event();
    const neighbour = await post(
      { body: JSON.stringify(theirs), headers: { ...JSON_TYPE, authorization: basic(other.writeKey) } },
      context,
    );
    expect(neighbour.statusCode).toBe(200);
    await waitFor(
      () => storedByMessageId(theirs.messageId as string, other),
      (items) => items.length === 1,
      { what: "the neighbour's event" },
    );
  });

  it.each(ODD_STRINGS)('[strings] $name in event name, ids, properties and keys', async ({ value }) => {
    const before = await counts();
    const context = ctx();
    const event = context.event({
      event: `E ${value}`,
      userId: `u ${value}`,
      properties: { v: value, [`k ${value}`]: 1 },
      context: { page: { path: `/p/${value}` } },
    });
    const response = await post({ body: JSON.stringify(event) }, context);
    expect(response.statusCode).toBe(200);
    await expectHealthyAndWritten(before, 1);
    const [stored] = await storedByMessageId(event.messageId as string);
    // Columns hold UTF-8, where a lone surrogate cannot exist: each comes back as one U+FFFD on every
    // database, never as broken text. Event names are trimmed (\ufeff is white space to trim). JSON columns
    // keep the escape.
    const json = (text: unknown) => asStored(String(text));
    expect(stored?.event).toBe(asStored(`E ${value}`.trim()));
    expect(stored?.userId).toBe(asStored(`u ${value}`));
    const properties = stored?.properties as Record<string, unknown>;
    expect(Object.keys(properties).map(json).sort()).toEqual([json(`k ${value}`), 'v'].sort());
    expect(json(properties.v)).toBe(json(value));
  });

  it('[html] HTML and script in names and properties are stored as text and answered as JSON', async () => {
    const before = await counts();
    const context = ctx();
    const events = HTML_STRINGS.flatMap((s) => [
      context.event({ event: s, properties: { [s]: s } }),
      {
        ...context.event({ type: 'page', name: s, context: { page: { path: `/${s}`, title: s } } }),
        event: undefined,
      },
    ]);
    const response = await post({ url: '/v1/batch', body: JSON.stringify({ batch: events }) }, context);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ accepted: events.length, rejected: [] });
    await expectHealthyAndWritten(before, events.length);
    for (const [i, s] of HTML_STRINGS.entries()) {
      const [track] = await storedByMessageId(events[2 * i]?.messageId as string);
      expect(track).toMatchObject({ event: s, properties: { [s]: s } });
      const [page] = await storedByMessageId(events[2 * i + 1]?.messageId as string);
      expect(page).toMatchObject({ name: s, context: { page: { title: s } } });
    }
  });

  it('[html] page paths and campaigns an attacker chose come out of the CSV export as inert text', async () => {
    const context = ctx();
    const hostile = [
      '=HYPERLINK("http://evil.example","click")',
      "+cmd|' /C calc'!A0",
      '-2+3',
      '@SUM(A1:A9)',
      '<script>alert(1)</script>',
    ];
    const events = hostile.map((s, i) => ({
      ...context.event({
        type: 'page',
        anonymousId: `csv-visitor-${i}-${randomUUID()}`,
        context: {
          page: {
            path: `/csv-${i}`,
            url: `https://shop.example/csv-${i}?utm_source=${encodeURIComponent(s)}&utm_medium=email&utm_campaign=${encodeURIComponent(s)}`,
          },
        },
      }),
      event: undefined,
    }));
    const pathEvents = hostile.map((s, i) => ({
      ...context.event({
        type: 'page',
        anonymousId: `csv-path-${i}-${randomUUID()}`,
        context: { page: { path: s, url: 'https://shop.example/' } },
      }),
      event: undefined,
    }));
    const all = [...events, ...pathEvents];
    const response = await post({ url: '/v1/batch', body: JSON.stringify({ batch: all }) }, context);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ accepted: all.length, rejected: [] });
    const day = context.nowIso.slice(0, 10);
    const csvOf = async (report: string, query: Record<string, string> = {}) => {
      const answer = await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${tenant.storeId}/reports/${report}`,
        query: { from: day, to: day, limit: '500', ...query },
        headers: { ...asKey(tenant.secretKey), accept: 'text/csv' },
      });
      expect(answer.statusCode).toBe(200);
      expect(answer.headers['content-type']).toMatch(/^text\/csv/);
      return answer.body;
    };
    const campaigns = await waitFor(
      () => csvOf('sources', { dimension: 'utmCampaign' }),
      (csv) => csv.includes('SUM(A1:A9)'),
      { what: 'the hostile campaigns in the sources report' },
    );
    const pages = await waitFor(
      () => csvOf('pages'),
      (csv) => csv.includes('SUM(A1:A9)'),
      { what: 'the hostile paths in the pages report' },
    );
    for (const csv of [campaigns, pages]) {
      const firstCells = csv.split('\r\n').map((line) => line.replace(/^"/, ''));
      // No cell a spreadsheet would evaluate: each formula-looking value is behind an apostrophe.
      for (const cell of firstCells) expect(cell).not.toMatch(/^[=+\-@]/);
      expect(csv).toContain(`"'=HYPERLINK(""http://evil.example"",""click"")"`);
      expect(csv).toContain(`'@SUM(A1:A9)`);
      expect(csv).toContain('<script>alert(1)</script>');
    }
  });

  it('[keys] a revoked key, an expired key, and a rotated key before and after its grace window', async () => {
    const context = ctx();
    const start = await counts();
    const admin = asKey(tenant.secretKey);
    const createKey = async (payload: Record<string, unknown>) => {
      const created = await t.app.inject({
        method: 'POST',
        url: `/api/v1/stores/${tenant.storeId}/keys`,
        headers: admin,
        payload,
      });
      expect(created.statusCode).toBe(201);
      return created.json() as { id: string; key: string };
    };
    const sendWith = (key: string) =>
      post(
        { body: JSON.stringify(context.event()), headers: { ...JSON_TYPE, authorization: basic(key) } },
        context,
      );

    const revoked = await createKey({ type: 'publishable' });
    expect((await sendWith(revoked.key)).statusCode).toBe(200);
    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/api/v1/stores/${tenant.storeId}/keys/${revoked.id}`,
      headers: admin,
    });
    expect(revoke.statusCode).toBe(200);

    const expiring = await createKey({ type: 'secret', scopes: ['events:write'], expiresIn: '1h' });
    expect(
      (
        await post(
          {
            body: JSON.stringify(context.event()),
            headers: { ...JSON_TYPE, authorization: `Bearer ${expiring.key}` },
          },
          context,
        )
      ).statusCode,
    ).toBe(200);

    const rotating = await createKey({ type: 'publishable' });
    // Two events were written above, with the revoked key (before revocation) and with the expiring key.
    const before = await waitFor(
      () => counts(),
      (c) => c.mine >= start.mine + 2,
      { what: 'the two events' },
    );
    const rotated = await t.app.inject({
      method: 'POST',
      url: `/api/v1/stores/${tenant.storeId}/keys/${rotating.id}/rotate`,
      headers: admin,
      payload: { grace: '2h' },
    });
    expect(rotated.statusCode).toBe(201);
    const successor = rotated.json().key as string;

    const revokedAnswer = await sendWith(revoked.key);
    expect(revokedAnswer.statusCode).toBe(401);
    expect(revokedAnswer.headers['content-type']).toMatch(/^application\/problem\+json/);
    // In the grace window both the old and the new key write.
    expect((await sendWith(rotating.key)).statusCode).toBe(200);
    expect((await sendWith(successor)).statusCode).toBe(200);
    await expectHealthyAndWritten(before, 2);

    t.clock.advance(2 * 3_600_000 + 1);
    const after = await counts();
    const fresh = ctx();
    expect(
      (
        await post(
          {
            body: JSON.stringify(fresh.event()),
            headers: { ...JSON_TYPE, authorization: `Bearer ${expiring.key}` },
          },
          fresh,
        )
      ).statusCode,
    ).toBe(401);
    expect((await sendWith(rotating.key)).statusCode).toBe(401);
    expect((await sendWith(revoked.key)).statusCode).toBe(401);
    expect((await sendWith(successor)).statusCode).toBe(200);
    await expectHealthyAndWritten(after, 1);
  });

  it("[keys] store A's key with store B's id in the body, context or query writes only to store A", async () => {
    const before = await counts();
    const context = ctx();
    const events = [
      context.event({ storeId: other.storeId }),
      context.event({ context: { storeId: other.storeId } }),
      context.event({ properties: { storeId: other.storeId, store_id: 1 } }),
    ];
    const viaBody = await post(
      { url: '/v1/batch', body: JSON.stringify({ batch: events, storeId: other.storeId }) },
      context,
    );
    expect(viaBody.statusCode).toBe(200);
    const viaQuery = await post(
      { url: `/v1/track?storeId=${other.storeId}&store_id=1`, body: JSON.stringify(context.event()) },
      context,
    );
    expect(viaQuery.statusCode).toBe(200);
    // Header key of store A, body writeKey of store B: the header wins, so the event lands in A.
    const both = context.event();
    const twoKeys = await post({ body: JSON.stringify({ ...both, writeKey: other.writeKey }) }, context);
    expect(twoKeys.statusCode).toBe(200);
    await expectHealthyAndWritten(before, 5);
    expect(await storedByMessageId(both.messageId as string, other)).toHaveLength(0);
    expect(await storedByMessageId(both.messageId as string)).toHaveLength(1);
    // Store B's secret key cannot read store A's events, whatever id it names.
    const peek = await t.app.inject({
      method: 'GET',
      url: `/api/v1/stores/${tenant.storeId}/events`,
      headers: asKey(other.secretKey),
    });
    expect(peek.statusCode).toBe(404);
  });

  it.each([
    '/api/v1/stores/1/events',
    '/api/v1/stores/0/events',
    '/api/v1/stores/-1/events',
    '/api/v1/stores/1%20OR%201=1/events',
    '/api/v1/stores/str_1/reports/overview',
    '/api/v1/stores/1/keys',
    '/api/v1/stores/1/dead-letters',
  ])('[ids] integer or forged id in the path %s → 400/404, no data', async (url) => {
    const response = await t.app.inject({ method: 'GET', url, headers: asKey(tenant.secretKey) });
    expect([400, 404]).toContain(response.statusCode);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.body).not.toContain('"items"');
    expect((await t.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('[structure] a batch event nested 50,000 levels deep (batch over 32 KB) is rejected alone', async () => {
    const before = await counts();
    const context = ctx();
    const deep = context.event({ properties: { x: 1 } });
    const fine = context.event();
    const body = JSON.stringify({ batch: [deep, fine] }).replace(
      '{"x":1}',
      `{"x":${nested(50_000, '[', ']')}}`,
    );
    const response = await post({ url: '/v1/batch', body }, context);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({
      accepted: 1,
      // Too deep (Node 20, where it cannot be measured) or too large (Node 26): rejected either way.
      rejected: [{ index: 0, messageId: deep.messageId, reason: expect.stringMatching(/nested|32 KB/) }],
    });
    await expectHealthyAndWritten(before, 1);
    expect(await storedByMessageId(deep.messageId as string)).toHaveLength(0);
  });

  it('[size limits] the boundaries themselves pass: 2,500 events in one batch, an event just under 32 KB', async () => {
    const before = await counts();
    const context = ctx();
    const batch = Array.from({ length: 2500 }, () => context.event());
    const many = await post({ url: '/v1/batch', body: JSON.stringify({ batch }) }, context);
    expect(many.statusCode).toBe(200);
    expect(many.json()).toMatchObject({ accepted: 2500, rejected: [] });
    const big = context.event({ properties: { blob: '' } });
    const room = 32 * 1024 - Buffer.byteLength(JSON.stringify(big)) - 200;
    big.properties = { blob: 'b'.repeat(room) };
    const single = await post({ body: JSON.stringify(big) }, context);
    expect(single.statusCode).toBe(200);
    await waitFor(
      () => counts(),
      (c) => c.mine >= before.mine + 2501,
      { what: 'the 2,501 events', timeoutMs: 60_000 },
    );
    await expectHealthyAndWritten(before, 2501);
  });

  it('[content type and encoding] gzip is accepted, and so is text/plain with ?writeKey= (sendBeacon)', async () => {
    const before = await counts();
    const context = ctx();
    const zipped = context.event();
    const gz = await post(
      {
        url: '/v1/batch',
        body: gzipSync(JSON.stringify({ batch: [zipped] })),
        headers: withKey(context, { 'content-encoding': 'gzip' }),
      },
      context,
    );
    expect(gz.statusCode).toBe(200);
    const beacon = context.event();
    const plain = await post(
      {
        url: `/v1/page?writeKey=${encodeURIComponent(context.writeKey)}`,
        body: JSON.stringify({ ...beacon, type: 'page' }),
        headers: { 'content-type': 'text/plain;charset=UTF-8' },
      },
      context,
    );
    expect(plain.statusCode).toBe(200);
    const bodyKey = context.event();
    const inBody = await post(
      { body: JSON.stringify({ ...bodyKey, writeKey: context.writeKey }), headers: JSON_TYPE },
      context,
    );
    expect(inBody.statusCode).toBe(200);
    await expectHealthyAndWritten(before, 3);
  });
});
