// The built dashboard as the server holds it: every file's bytes, content type and strong ETag, keyed by the
// URL path it is served at. Built in memory by dashboard/build.ts, or read from dist/dashboard in production.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface DashboardFile {
  body: Buffer;
  contentType: string;
  /** Strong ETag, quotes included. */
  etag: string;
}

/** URL path (`/index.html`, `/assets/app-3F2A1B9C.js`) → file. */
export type DashboardAssets = ReadonlyMap<string, DashboardFile>;

export interface DashboardBuild {
  files: Map<string, DashboardFile>;
  /** What a first visit downloads (index.html, its script, stylesheet and icon), each gzipped at level 9. */
  gzipBytes: number;
}

export const INDEX_PATH = '/index.html';
const MANIFEST = 'manifest.json';

export const etagOf = (body: Buffer): string =>
  `"${createHash('sha256').update(body).digest('hex').slice(0, 32)}"`;
export const gzipBytesOf = (body: Buffer): number => gzipSync(body, { level: 9 }).length;

export function contentTypeOf(path: string): string {
  if (path.endsWith('.html')) return 'text/html; charset=utf-8';
  if (path.endsWith('.js')) return 'text/javascript; charset=utf-8';
  if (path.endsWith('.css')) return 'text/css; charset=utf-8';
  if (path.endsWith('.svg')) return 'image/svg+xml';
  if (path.endsWith('.json')) return 'application/json; charset=utf-8';
  return 'application/octet-stream';
}

interface Manifest {
  gzipBytes: number;
  files: { path: string; contentType: string; etag: string }[];
}

/** Writes a build to `dir` (files under their URL paths, plus manifest.json) for `readDashboardBuild`. */
export async function writeDashboardBuild(build: DashboardBuild, dir: string): Promise<void> {
  const manifest: Manifest = { gzipBytes: build.gzipBytes, files: [] };
  for (const [path, file] of build.files) {
    const target = join(dir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, file.body);
    manifest.files.push({ path, contentType: file.contentType, etag: file.etag });
  }
  await writeFile(join(dir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
}

/** Reads what `writeDashboardBuild` wrote; null when there is no build in `dir`. */
export async function readDashboardBuild(dir: string): Promise<DashboardBuild | null> {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return null;
  }
  const files = new Map<string, DashboardFile>();
  for (const entry of manifest.files) {
    files.set(entry.path, {
      body: await readFile(join(dir, entry.path)),
      contentType: entry.contentType,
      etag: entry.etag,
    });
  }
  return { files, gzipBytes: manifest.gzipBytes };
}
