import { describe, expect, it } from 'vitest';
import { parseFilter, parseFilters, serializeFilter } from './filters.js';

describe('report filters in the URL', () => {
  it('round-trips values containing colons', () => {
    const filter = { dimension: 'page' as const, value: '/a:b?c=d' };
    expect(parseFilter(serializeFilter(filter))).toEqual(filter);
  });

  it('drops malformed filters and unknown dimensions', () => {
    expect(parseFilter('channel')).toBeNull();
    expect(parseFilter('channel:')).toBeNull();
    expect(parseFilter('password:x')).toBeNull();
    expect(parseFilter(':x')).toBeNull();
  });

  it('keeps one value per dimension, the last one', () => {
    const query = new URLSearchParams([
      ['filter', 'channel:email'],
      ['filter', 'device:mobile'],
      ['filter', 'channel:search'],
    ]);
    expect(parseFilters(query)).toEqual([
      { dimension: 'channel', value: 'search' },
      { dimension: 'device', value: 'mobile' },
    ]);
  });
});
