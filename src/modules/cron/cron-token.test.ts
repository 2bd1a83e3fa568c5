import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  displayPrefixOf,
  generateCronToken,
  hashCronToken,
  isSameHash,
  isWellFormedCronToken,
} from './cron-token.js';

describe('cron tokens', () => {
  it('look like ff_cron_ + 49 base62 characters and pass their own checksum', () => {
    const token = generateCronToken();
    expect(token).toMatch(/^ff_cron_[0-9A-Za-z]{49}$/);
    expect(isWellFormedCronToken(token)).toBe(true);
    expect(displayPrefixOf(token)).toBe(token.slice(0, 14));
  });

  it('are different every time', () => {
    const tokens = new Set(Array.from({ length: 200 }, generateCronToken));
    expect(tokens.size).toBe(200);
  });

  it('refuse any single-character change through the checksum', () => {
    const token = generateCronToken();
    fc.assert(
      fc.property(
        fc.integer({ min: 8, max: token.length - 1 }),
        fc.constantFrom(...'0aZ9'),
        (index, char) => {
          fc.pre(token[index] !== char);
          const changed = token.slice(0, index) + char + token.slice(index + 1);
          expect(isWellFormedCronToken(changed)).toBe(false);
        },
      ),
    );
  });

  it.each([
    'ff_sk_0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLM',
    'ff_pub_abc',
    'ff_cron_',
    'Bearer ff_cron_abc',
  ])('refuse %s as not a cron token', (text) => {
    expect(isWellFormedCronToken(text)).toBe(false);
  });

  it('compare SHA-256 digests', () => {
    const token = generateCronToken();
    expect(isSameHash(hashCronToken(token), hashCronToken(token))).toBe(true);
    expect(isSameHash(hashCronToken(token), hashCronToken(generateCronToken()))).toBe(false);
    expect(isSameHash(hashCronToken(token), Buffer.alloc(3))).toBe(false);
  });
});
