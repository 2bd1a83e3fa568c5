import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { truncateIp } from './net.js';

describe('truncateIp', () => {
  it.each([
    ['203.0.113.77', '203.0.113.0'],
    ['::ffff:198.51.100.9', '198.51.100.0'],
    ['2001:db8:85a3:1234:5678:8a2e:370:7334', '2001:db8:85a3::'],
    ['2001:db8::1', '2001:db8::'],
    ['::1', '::'],
    ['fe80::1%eth0', 'fe80::'],
    ['not-an-ip', null],
    ['', null],
  ])('%s → %s', (input, expected) => {
    expect(truncateIp(input)).toBe(expected);
  });

  it('is idempotent and never keeps the host part', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        const once = truncateIp(ip);
        expect(once).not.toBeNull();
        expect(truncateIp(once)).toBe(once);
      }),
    );
  });
});
