// The dashboard's weight and reach are part of the product: the first visit stays under 100 KB gzip, and the
// bundle loads nothing from anywhere but its own server (no CDN, no fonts, no analytics of its own).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { INDEX_PATH, readDashboardBuild, writeDashboardBuild } from '../src/modules/dashboard/index.js';
import { buildDashboard } from './build.js';

const BUDGET_GZIP_BYTES = 100 * 1024;

/** Namespace identifiers (never fetched) and RFC 2606 example hosts used in placeholders. */
const ALLOWED_URL =
  /^https?:\/\/(www\.w3\.org\/(2000\/svg|1999\/xhtml|1999\/xlink|1998\/Math\/MathML|XML\/1998\/namespace)|([a-z0-9-]+\.)*example(\.com|\.org|\.net)?)([/.:]|$)/;

describe('dashboard bundle', async () => {
  const built = await buildDashboard();
  const text = (path: string) => built.files.get(path)?.body.toString('utf8') ?? '';
  const tmp = await mkdtemp(join(tmpdir(), 'footfall-dashboard-'));
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('loads its heaviest first page in at most 100 KB gzip', () => {
    expect(built.sizes.reduce((sum, s) => sum + s.gzipBytes, 0)).toBe(built.gzipBytes);
    expect(built.gzipBytes).toBeLessThanOrEqual(BUDGET_GZIP_BYTES);
    // The chart library is only in pages with charts, not in the frame everyone loads.
    const frame = built.sizes.filter((s) => s.path === INDEX_PATH || text(INDEX_PATH).includes(s.path));
    expect(frame.reduce((sum, s) => sum + s.gzipBytes, 0)).toBeLessThan(40 * 1024);
  });

  it('references no external URL', () => {
    const external: string[] = [];
    for (const [path, file] of built.files) {
      const body = file.body.toString('utf8');
      for (const url of body.match(/\bhttps?:\/\/[^\s"'`)<>\\]+/g) ?? []) {
        if (!ALLOWED_URL.test(url)) external.push(`${path}: ${url}`);
      }
      // Protocol-relative loads (`//cdn…`) in markup or CSS.
      for (const match of body.match(/(src|href)=["']\/\/|url\(["']?\/\//g) ?? [])
        external.push(`${path}: ${match}`);
    }
    expect(external).toEqual([]);
  });

  it('has no inline script or style for the CSP to refuse', () => {
    const html = text(INDEX_PATH);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it('never writes HTML from strings: every value reaches the page as a text node', async () => {
    const sources = (await readdir(join(import.meta.dirname, 'src'), { recursive: true })).filter((f) =>
      /\.tsx?$/.test(f),
    );
    const offenders: string[] = [];
    for (const file of sources) {
      const code = await readFile(join(import.meta.dirname, 'src', file), 'utf8');
      const found = code.match(
        /dangerouslySetInnerHTML|\.(inner|outer)HTML\b|insertAdjacentHTML|document\.write|\beval\(|new Function\(/g,
      );
      if (found) offenders.push(`${file}: ${found.join(', ')}`);
    }
    expect(sources.length).toBeGreaterThan(20);
    expect(offenders).toEqual([]);
  });

  it('ships every file index.html names, under content-hashed names', () => {
    const referenced = [...text(INDEX_PATH).matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(referenced.length).toBeGreaterThanOrEqual(3);
    for (const path of referenced) {
      expect(built.files.has(path), path).toBe(true);
      expect(path).toMatch(/^\/assets\/[a-z]+-[A-Z0-9]{8}\.(js|css|svg)$/);
    }
  });

  it('writes the build with its measurement, and reads it back', async () => {
    await writeDashboardBuild(built, tmp);
    const manifest = JSON.parse(await readFile(join(tmp, 'manifest.json'), 'utf8')) as { gzipBytes: number };
    expect(manifest.gzipBytes).toBe(built.gzipBytes);
    const read = await readDashboardBuild(tmp);
    expect(read?.gzipBytes).toBe(built.gzipBytes);
    expect([...(read?.files.keys() ?? [])].sort()).toEqual([...built.files.keys()].sort());
    expect(read?.files.get(INDEX_PATH)?.etag).toBe(built.files.get(INDEX_PATH)?.etag);
    expect(await readDashboardBuild(join(tmp, 'missing'))).toBeNull();
  });
});
