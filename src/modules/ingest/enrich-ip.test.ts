import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyIpPolicy, normalizeIp, resolveClientIp, truncateIp } from './enrich-ip.js';

describe('truncateIp', () => {
  it.each([
    ['203.0.113.42', '203.0.113.0'],
    ['10.0.0.0', '10.0.0.0'],
    ['255.255.255.255', '255.255.255.0'],
    [' 198.51.100.7 ', '198.51.100.0'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3::'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::'],
    ['2001:db8::1', '2001:db8::'],
    ['::1', '::'],
    ['fe80::1%eth0', 'fe80::'],
    ['0:0:1::', '0:0:1::'],
    ['2001:db8:0:1::5', '2001:db8::'],
    ['::ffff:203.0.113.42', '203.0.113.0'],
    ['::FFFF:cb00:712a', '203.0.113.0'],
    ['64:ff9b::203.0.113.42', '64:ff9b::'],
  ])('truncates %s to %s', (ip, expected) => {
    expect(truncateIp(ip)).toBe(expected);
  });

  it.each([['not-an-ip'], [''], ['1.2.3'], ['1.2.3.4:80'], ['256.1.1.1'], ['1.2.3.04'], ['[::1]']])(
    'refuses %j',
    (ip) => {
      expect(truncateIp(ip)).toBeNull();
    },
  );

  it('is idempotent', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.ipV4(),
          fc.ipV6(),
          fc.ipV4().map((v4) => `::ffff:${v4}`),
        ),
        (ip) => {
          const once = truncateIp(ip);
          expect(once).not.toBeNull();
          expect(truncateIp(once ?? '')).toBe(once);
        },
      ),
    );
  });

  it('never keeps a host part', () => {
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(truncateIp(ip)?.endsWith('.0')).toBe(true);
      }),
    );
  });
});

describe('normalizeIp', () => {
  it.each([
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['10.1.2.3', '10.1.2.3'],
  ])('writes %s canonically as %s', (ip, expected) => {
    expect(normalizeIp(ip)).toBe(expected);
  });

  it('round-trips every IPv6 address through its canonical form', () => {
    fc.assert(
      fc.property(fc.ipV6(), (ip) => {
        const canonical = normalizeIp(ip);
        expect(canonical).not.toBeNull();
        expect(normalizeIp(canonical ?? '')).toBe(canonical);
      }),
    );
  });
});

describe('applyIpPolicy and resolveClientIp', () => {
  it.each([
    ['truncate', '203.0.113.42', '203.0.113.0'],
    ['full', '203.0.113.42', '203.0.113.42'],
    ['full', '::ffff:203.0.113.42', '203.0.113.42'],
    ['none', '203.0.113.42', null],
    ['truncate', null, null],
  ] as const)('policy %s turns %j into %j', (policy, ip, expected) => {
    expect(applyIpPolicy(ip, policy)).toBe(expected);
  });

  it('prefers a valid context.ip over the request IP', () => {
    expect(resolveClientIp('198.51.100.9', '10.0.0.1', 'full')).toBe('198.51.100.9');
  });

  it.each([['garbage'], [42], [null], [undefined]])(
    'falls back to the request IP when context.ip is %j',
    (contextIp) => {
      expect(resolveClientIp(contextIp, '10.0.0.1', 'truncate')).toBe('10.0.0.0');
    },
  );

  it('returns null when nothing is valid', () => {
    expect(resolveClientIp('x', 'y', 'truncate')).toBeNull();
  });
});
