import { randomBytes } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHUNK_TEXT_BYTES, createChunkWriter, type ExportLine } from './export-file.js';
import { applyIpPolicyToContext } from './privacy-requests.job.js';
import { createSubjectHasher, privacyKeyWrapper } from './subject-hash.js';

describe('subject hashes', () => {
  const hasher = createSubjectHasher(randomBytes(32));

  it('differ by store, by kind and by key, and never contain the identifier', () => {
    const a = hasher.hash(1, 'user', 'alice@example.com');
    expect(a).toHaveLength(32);
    expect(a.equals(hasher.hash(1, 'user', 'alice@example.com'))).toBe(true);
    expect(a.equals(hasher.hash(2, 'user', 'alice@example.com'))).toBe(false);
    expect(a.equals(hasher.hash(1, 'anonymous', 'alice@example.com'))).toBe(false);
    expect(a.equals(createSubjectHasher(randomBytes(32)).hash(1, 'user', 'alice@example.com'))).toBe(false);
    expect(a.toString('latin1')).not.toContain('alice');
  });

  it('cannot be confused across the store/kind/value boundary', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (x, y) => {
        fc.pre(x !== y);
        return !hasher.hash(1, 'user', x).equals(hasher.hash(1, 'user', y));
      }),
    );
    expect(hasher.hash(11, 'user', 'x').equals(hasher.hash(1, 'user', '1x'))).toBe(false);
  });

  it('keeps the key wrapped under the root secret and refuses to open it with another', () => {
    const key = randomBytes(32);
    const root = 'root-secret-that-is-long-enough-000000';
    const sealed = privacyKeyWrapper(root).seal(key);
    expect(sealed.isWrapped).toBe(true);
    expect(sealed.material.includes(key)).toBe(false);
    expect(privacyKeyWrapper(root).open(sealed)).toEqual({ key, stale: false });
    expect(() => privacyKeyWrapper('another-secret-that-is-long-enough-00').open(sealed)).toThrow(
      /FOOTFALL_SECRET differs/,
    );
    expect(() => privacyKeyWrapper(null).open(sealed)).toThrow(/FOOTFALL_SECRET is not set/);
    expect(privacyKeyWrapper(null).open(privacyKeyWrapper(null).seal(key))).toEqual({ key, stale: false });
  });

  it('opens a key sealed under the previous root secret while it rotates, and calls it stale', () => {
    const key = randomBytes(32);
    const old = 'old-root-secret-that-is-long-enough-0000';
    const next = 'new-root-secret-that-is-long-enough-0000';
    const sealed = privacyKeyWrapper(old).seal(key);
    expect(privacyKeyWrapper(next, old).open(sealed)).toEqual({ key, stale: true });
    const rewrapped = privacyKeyWrapper(next, old).seal(key);
    expect(privacyKeyWrapper(next).open(rewrapped)).toEqual({ key, stale: false });
    // A key stored bare before any secret was set is stale once one is.
    expect(privacyKeyWrapper(next).open(privacyKeyWrapper(null).seal(key))).toEqual({ key, stale: true });
  });
});

describe('export file', () => {
  it('is a valid gzip of NDJSON when its chunks (gzip members) are concatenated', () => {
    const writer = createChunkWriter();
    const chunks: Buffer[] = [];
    const lines: ExportLine[] = [];
    const filler = 'x'.repeat(2000);
    for (let i = 0; i < 700; i++) {
      const line: ExportLine = { record: 'event', messageId: `m-${i}`, properties: { filler } };
      lines.push(line);
      const chunk = writer.add(line);
      if (chunk) chunks.push(chunk);
    }
    const last = writer.finish(chunks.length === 0);
    if (last) chunks.push(last);
    expect(chunks.length).toBeGreaterThan(1);
    const text = gunzipSync(Buffer.concat(chunks)).toString('utf8');
    expect(text.length).toBeGreaterThan(CHUNK_TEXT_BYTES);
    const parsed = text
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ExportLine);
    expect(parsed).toEqual(lines);
  });

  it('is an empty but valid gzip when the person has no data', () => {
    const chunk = createChunkWriter().finish(true);
    expect(chunk).not.toBeNull();
    expect(gunzipSync(chunk as Buffer).length).toBe(0);
  });
});

describe('IP policy on stored contexts', () => {
  it.each([
    ['truncate', { ip: '203.0.113.77', locale: 'de' }, { ip: '203.0.113.0', locale: 'de' }],
    ['truncate', { ip: '2001:db8:85a3:8d3:1319:8a2e:370:7348' }, { ip: '2001:db8:85a3::' }],
    ['none', { ip: '203.0.113.77', locale: 'de' }, { locale: 'de' }],
    ['none', { ip: '203.0.113.0' }, null],
  ] as const)('%s turns %j into %j', (policy, before, after) => {
    const result = applyIpPolicyToContext(JSON.stringify(before), policy);
    expect(result).toEqual({ changed: true, context: after === null ? null : JSON.stringify(after) });
  });

  it('leaves contexts alone that already comply or have no address', () => {
    expect(applyIpPolicyToContext(JSON.stringify({ ip: '203.0.113.0' }), 'truncate')).toEqual({
      changed: false,
    });
    expect(applyIpPolicyToContext(JSON.stringify({ locale: 'de' }), 'none')).toEqual({ changed: false });
    expect(applyIpPolicyToContext('not json', 'none')).toEqual({ changed: false });
  });
});
