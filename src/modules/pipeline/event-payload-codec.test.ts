import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PACKED, type PayloadColumns, packPayload, unpackPayload } from './event-payload-codec.js';

const columns: PayloadColumns = {
  type: 'page',
  path: '/products/shirts-37',
  page_host: 'shop.example',
  title: 'Shirt 37',
  referrer_host: 'google.com',
  session_id: 's-1',
};

function roundTrip(
  cols: PayloadColumns,
  properties: Record<string, unknown>,
  context: Record<string, unknown>,
) {
  const packed = packPayload(cols, properties, context);
  return { packed, read: unpackPayload(cols, packed.properties, packed.context, packed.packed) };
}

describe('event payload codec', () => {
  it('stores a tracker page view without what the columns hold, and reads it back whole', () => {
    const context = {
      library: { name: 'footfall.js', version: '1.0.0' },
      page: {
        path: '/products/shirts-37',
        url: 'https://shop.example/products/shirts-37',
        referrer: 'https://google.com/',
        title: 'Shirt 37',
        search: '',
      },
      userAgent: 'Mozilla/5.0',
      sessionId: 's-1',
      ip: '203.0.113.0',
    };
    const properties = {
      path: '/products/shirts-37',
      url: 'https://shop.example/products/shirts-37',
      title: 'Shirt 37',
    };
    const { packed, read } = roundTrip(columns, properties, context);
    expect(packed.properties).toBeNull();
    expect(JSON.parse(packed.context ?? '{}')).toEqual({
      library: { name: 'footfall.js', version: '1.0.0' },
      userAgent: 'Mozilla/5.0',
      ip: '203.0.113.0',
    });
    expect(packed.packed & PACKED.contextPageEmpty).toBe(PACKED.contextPageEmpty);
    expect(read).toEqual({ properties, context });
    // The caller's objects are not changed: a retried batch maps the same event again.
    expect(context.page.url).toBe('https://shop.example/products/shirts-37');
    expect(properties.url).toBe('https://shop.example/products/shirts-37');
  });

  it('keeps values that differ from the columns (a referrer with a path, a query string, a fragment)', () => {
    const context = {
      page: {
        path: '/products/shirts-37',
        url: 'https://shop.example/products/shirts-37?utm_source=x#top',
        referrer: 'https://google.com/search?q=shirt',
        title: 'Shirt 37',
        search: '?utm_source=x',
      },
      sessionId: 42,
    };
    const { packed, read } = roundTrip(columns, {}, context);
    expect(JSON.parse(packed.context ?? '{}')).toEqual({
      page: {
        url: 'https://shop.example/products/shirts-37?utm_source=x#top',
        referrer: 'https://google.com/search?q=shirt',
        search: '?utm_source=x',
      },
      sessionId: 42,
    });
    expect(read).toEqual({ properties: {}, context });
  });

  it('leaves track events’ properties as sent (reports read them as stored)', () => {
    const track = { ...columns, type: 'track' };
    const properties = { path: columns.path, title: columns.title, product_id: 'p1' };
    const { packed, read } = roundTrip(track, properties, {});
    expect(JSON.parse(packed.properties ?? '{}')).toEqual(properties);
    expect(read).toEqual({ properties, context: {} });
  });

  it('reads rows written before packing (packed = 0) unchanged', () => {
    const context = { page: { path: '/x' }, sessionId: 's-1' };
    expect(unpackPayload(columns, '{"a":1}', JSON.stringify(context), 0)).toEqual({
      properties: { a: 1 },
      context,
    });
  });

  it('reads back every payload deep-equal, whatever the columns and values', () => {
    const text = fc.oneof(
      fc.constantFrom('', '/', '/x', 'shop.example', 'https://shop.example/x', 's-1'),
      fc.string(),
    );
    const value = fc.oneof(text, fc.integer(), fc.constant(null), fc.boolean());
    const nullableText = fc.option(text, { nil: null });
    fc.assert(
      fc.property(
        fc.record({
          type: fc.constantFrom('page', 'track'),
          path: nullableText,
          page_host: nullableText,
          title: nullableText,
          referrer_host: nullableText,
          session_id: nullableText,
        }),
        fc.dictionary(fc.constantFrom('path', 'url', 'title', 'search', 'other'), value),
        fc.dictionary(fc.constantFrom('path', 'url', 'title', 'search', 'referrer', 'other'), value),
        fc.dictionary(fc.constantFrom('sessionId', 'userAgent', 'ip'), value),
        fc.boolean(),
        (cols, properties, page, rest, hasPage) => {
          // Values equal to the columns' (the common case) as often as not.
          const derived = (source: Record<string, unknown>, search: unknown) => {
            const out = { ...source };
            if ('path' in out) out.path = cols.path;
            if ('title' in out) out.title = cols.title;
            if ('url' in out)
              out.url = `https://${cols.page_host}${cols.path}${typeof search === 'string' ? search : ''}`;
            if ('referrer' in out) out.referrer = `https://${cols.referrer_host}/`;
            return out;
          };
          for (const useDerived of [false, true]) {
            const props = useDerived ? derived(properties, properties.search) : properties;
            const ctx: Record<string, unknown> = { ...rest };
            if (useDerived && 'sessionId' in ctx) ctx.sessionId = cols.session_id;
            if (hasPage) ctx.page = useDerived ? derived(page, page.search) : page;
            const { read } = roundTrip(cols, props, ctx);
            expect(read).toEqual({ properties: props, context: ctx });
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
