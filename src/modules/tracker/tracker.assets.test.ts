import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bundleTracker,
  createTrackerAssets,
  DEMO_WRITE_KEY_PLACEHOLDER,
  demoShopDir,
  QUEUE_STUB,
  writeTrackerBuild,
} from './index.js';

describe('tracker assets', async () => {
  const assets = await createTrackerAssets();
  const full = assets.get('footfall.js');
  const tmp = await mkdtemp(join(tmpdir(), 'footfall-tracker-'));
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('serves both builds with a strong ETag, SRI and a content-hash version', () => {
    for (const name of ['footfall.js', 'footfall.core.js'] as const) {
      const asset = assets.get(name);
      const sha256 = createHash('sha256').update(asset.code).digest('hex');
      expect(asset.version).toBe(sha256.slice(0, 8));
      expect(asset.etag).toBe(`"${sha256.slice(0, 32)}"`);
      expect(asset.sri).toBe(`sha384-${createHash('sha384').update(asset.code).digest('base64')}`);
      expect(asset.libraryVersion).toMatch(/^\d+\.\d+\.\d+/);
    }
    expect(assets.get('footfall.core.js').code.length).toBeLessThan(full.code.length);
  });

  it('refuses a file it does not have', () => {
    expect(() => assets.get('footfall.min.js' as 'footfall.js')).toThrow(/unknown tracker file/);
  });

  it('prints the install snippet: versioned URL, integrity, crossorigin, write key', () => {
    expect(assets.snippet('https://ff.example.com', 'ff_pub_abc')).toBe(
      `<script defer src="https://ff.example.com/footfall.js?v=${full.version}" data-write-key="ff_pub_abc"` +
        ` integrity="${full.sri}" crossorigin="anonymous"></script>`,
    );
  });

  it.each([
    ['ff.example.com', 'https://ff.example.com/footfall.js'],
    ['http://localhost:3000/', 'http://localhost:3000/footfall.js'],
    ['https://ff.example.com/some/path', 'https://ff.example.com/footfall.js'],
  ])('takes the host %s as an origin', (host, url) => {
    expect(assets.snippet(host, 'k')).toContain(`src="${url}?v=`);
  });

  it('escapes the write key for the attribute', () => {
    expect(assets.snippet('ff.example.com', 'a"><script>')).toContain(
      'data-write-key="a&#34;&#62;&#60;script&#62;"',
    );
  });

  it('can load the core build and prepend the queue stub', () => {
    const snippet = assets.snippet('ff.example.com', 'k', { file: 'footfall.core.js', withStub: true });
    const [stub, tag] = snippet.split('\n');
    expect(stub).toBe(`<script>${QUEUE_STUB}</script>`);
    expect(tag).toContain(`/footfall.core.js?v=${assets.get('footfall.core.js').version}"`);
  });

  it('loads a build written to a dist directory, byte for byte', async () => {
    await writeTrackerBuild(await bundleTracker(), tmp);
    const fromDist = await createTrackerAssets({ distDir: tmp });
    expect(fromDist.get('footfall.js')).toEqual(full);
  });

  it('fails clearly when a dist directory has no build', async () => {
    await expect(createTrackerAssets({ distDir: join(tmp, 'missing') })).rejects.toThrow();
  });

  it('points at the demo shop, whose pages carry the write-key placeholder', async () => {
    const { readFile } = await import('node:fs/promises');
    expect(existsSync(join(demoShopDir, 'index.html'))).toBe(true);
    const html = await readFile(join(demoShopDir, 'index.html'), 'utf8');
    expect(html).toContain(`<script defer src="/footfall.js" data-write-key="${DEMO_WRITE_KEY_PLACEHOLDER}"`);
  });
});
