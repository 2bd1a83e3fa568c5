// The built tracker files as the server serves them: code plus the headers' raw material (ETag, SRI,
// content-hash version), and the install snippet shown to store developers.
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type BuiltTrackerFile,
  bundleTracker,
  canBundleTracker,
  gzipBytesOf,
  sriOf,
  TRACKER_FILES,
  type TrackerBuild,
  type TrackerFileName,
} from './tracker.bundler.js';
import { repoRoot } from './tracker.paths.js';

export interface TrackerAsset {
  code: string;
  /** Strong ETag, quotes included. */
  etag: string;
  /** `sha384-…` for the `integrity` attribute. */
  sri: string;
  /** First 8 hex chars of the content's SHA-256: the `?v=` of versioned URLs. A request whose `v`
   * equals this may be cached as immutable. */
  version: string;
  /** Footfall's package version, as reported in `context.library.version`. */
  libraryVersion: string;
  gzipBytes: number;
}

export interface SnippetOptions {
  /** Which build to load; default the full `footfall.js`. */
  file?: TrackerFileName;
  /** Prepend the inline queue stub so `footfall('track', …)` works before the script has loaded.
   * Inline script: not for pages with a strict CSP. */
  withStub?: boolean;
}

export interface TrackerAssets {
  get(name: TrackerFileName): TrackerAsset;
  /** The `<script>` tag a store pastes: versioned URL, SRI, `crossorigin`, write key. */
  snippet(host: string, writeKey: string, options?: SnippetOptions): string;
}

/** Queue stub: calls made before footfall.js has loaded are kept and replayed by it. */
export const QUEUE_STUB =
  'window.footfall=window.footfall||function(){(window.footfall.q=window.footfall.q||[]).push(arguments)};';

/** The demo shop's pages carry this in `data-write-key`; the serving route substitutes a real key. */
export const DEMO_WRITE_KEY_PLACEHOLDER = '__FOOTFALL_WRITE_KEY__';

/** Absolute path of the static demo storefront (examples/shop). */
export const demoShopDir: string = join(repoRoot(), 'examples', 'shop');

/** Default location of `npm run build:tracker` output. */
export const defaultTrackerDistDir = (): string => join(repoRoot(), 'dist', 'tracker');

const MANIFEST = 'manifest.json';

const escapeAttribute = (value: string) => value.replace(/[&"<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** Accepts `https://t.example.com`, `t.example.com` or `http://localhost:3000/`; returns the origin. */
const toOrigin = (host: string) => new URL(/^https?:\/\//i.test(host) ? host : `https://${host}`).origin;

/**
 * Loads the tracker from `distDir` when given (production: built by `npm run build:tracker`); otherwise
 * bundles tracker/src in memory (tens of milliseconds with esbuild), falling back to dist/tracker when
 * esbuild or the sources are not installed.
 */
export async function createTrackerAssets(opts: { distDir?: string } = {}): Promise<TrackerAssets> {
  const build = opts.distDir ? await readTrackerBuild(opts.distDir) : await bundleOrRead();
  const assets = new Map<TrackerFileName, TrackerAsset>();
  for (const file of build.files) {
    const hash = createHash('sha256').update(file.code).digest('hex');
    assets.set(file.name, {
      code: file.code,
      etag: `"${hash.slice(0, 32)}"`,
      sri: file.sri,
      version: hash.slice(0, 8),
      libraryVersion: build.version,
      gzipBytes: file.gzipBytes,
    });
  }
  const get = (name: TrackerFileName): TrackerAsset => {
    const asset = assets.get(name);
    if (!asset) throw new Error(`unknown tracker file ${name}`);
    return asset;
  };
  return {
    get,
    snippet(host, writeKey, options = {}) {
      const name = options.file ?? 'footfall.js';
      const asset = get(name);
      const src = `${toOrigin(host)}/${name}?v=${asset.version}`;
      const tag =
        `<script defer src="${escapeAttribute(src)}" data-write-key="${escapeAttribute(writeKey)}"` +
        ` integrity="${asset.sri}" crossorigin="anonymous"></script>`;
      return options.withStub ? `<script>${QUEUE_STUB}</script>\n${tag}` : tag;
    },
  };
}

async function bundleOrRead(): Promise<TrackerBuild> {
  // Bundling errors in a checkout with sources and esbuild must surface, not hide behind a stale dist.
  if (canBundleTracker()) return bundleTracker();
  try {
    return await readTrackerBuild(defaultTrackerDistDir());
  } catch (cause) {
    throw new Error('tracker: no tracker/src + esbuild to bundle from, and no dist/tracker build', { cause });
  }
}

export async function readTrackerBuild(distDir: string): Promise<TrackerBuild> {
  const manifest = JSON.parse(await readFile(join(distDir, MANIFEST), 'utf8')) as { version: string };
  const files = await Promise.all(
    TRACKER_FILES.map(async (name): Promise<BuiltTrackerFile> => {
      const code = await readFile(join(distDir, name), 'utf8');
      return { name, code, sri: sriOf(code), gzipBytes: gzipBytesOf(code) };
    }),
  );
  return { version: manifest.version, files };
}

export async function writeTrackerBuild(build: TrackerBuild, distDir: string): Promise<void> {
  await mkdir(distDir, { recursive: true });
  await Promise.all([
    ...build.files.map((file) => writeFile(join(distDir, file.name), file.code)),
    writeFile(
      join(distDir, MANIFEST),
      `${JSON.stringify(
        {
          version: build.version,
          files: Object.fromEntries(build.files.map((f) => [f.name, { sri: f.sri, gzipBytes: f.gzipBytes }])),
        },
        null,
        2,
      )}\n`,
    ),
  ]);
}
