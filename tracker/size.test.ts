// The size budget is part of the product: a tracker that grows unnoticed slows every store that uses it.
import { describe, expect, it } from 'vitest';
import { buildTracker } from './build.js';

const BUDGET_GZIP_BYTES = { 'footfall.core.js': 2500, 'footfall.js': 4000 } as const;

describe('tracker bundles', async () => {
  const { files, version } = await buildTracker({ outDir: false });

  it.each(files.map((f) => [f.name, f] as const))('%s stays within its min+gzip budget', (name, file) => {
    expect(file.gzipBytes).toBeLessThanOrEqual(BUDGET_GZIP_BYTES[name]);
  });

  it.each(files.map((f) => [f.name, f] as const))('%s is self-contained: no import or require', (_, file) => {
    expect(file.code).not.toMatch(/\bimport\s*[({'"]|\bimport\s+\w|\brequire\s*\(/);
    expect(file.code).toMatch(/^\(\(\)=>\{/); // an IIFE: nothing leaks into the page's globals but footfall
  });

  it('bakes in the package version and nothing left to define', () => {
    for (const file of files) {
      expect(file.code).toContain(JSON.stringify(version));
      expect(file.code).not.toContain('__FOOTFALL_VERSION__');
    }
  });

  it('computes SRI over the exact bytes', async () => {
    const { createHash } = await import('node:crypto');
    for (const file of files) {
      expect(file.sri).toBe(`sha384-${createHash('sha384').update(file.code).digest('base64')}`);
    }
  });

  it('leaves the eCommerce helpers out of the core build', () => {
    const core = files.find((f) => f.name === 'footfall.core.js');
    const full = files.find((f) => f.name === 'footfall.js');
    expect(core?.code).not.toContain('Product Viewed');
    expect(full?.code).toContain('Product Viewed');
  });
});
