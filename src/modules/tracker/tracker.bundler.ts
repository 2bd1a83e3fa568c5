// Bundles tracker/src into the two browser builds, in memory. esbuild is a dev dependency, imported only
// when bundling, so a production install without it can still serve prebuilt files.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readPackageVersion, repoRoot } from './tracker.paths.js';

export const TRACKER_FILES = ['footfall.js', 'footfall.core.js'] as const;
export type TrackerFileName = (typeof TRACKER_FILES)[number];

export interface BuiltTrackerFile {
  name: TrackerFileName;
  code: string;
  /** Subresource Integrity value: `sha384-<base64>`. */
  sri: string;
  /** Size after gzip level 9, the figure the size budget is stated in. */
  gzipBytes: number;
}

export interface TrackerBuild {
  /** package.json version, baked into events as `context.library.version`. */
  version: string;
  files: BuiltTrackerFile[];
}

const ENTRIES: Record<TrackerFileName, string> = {
  'footfall.js': 'full-entry.ts',
  'footfall.core.js': 'core-entry.ts',
};

export const sriOf = (code: string): string => `sha384-${createHash('sha384').update(code).digest('base64')}`;
export const gzipBytesOf = (code: string): number => gzipSync(code, { level: 9 }).length;

const entryPath = (root: string, name: TrackerFileName) => join(root, 'tracker', 'src', ENTRIES[name]);

/** True in a checkout with dev dependencies: the sources are there and esbuild resolves. */
export function canBundleTracker(root: string = repoRoot()): boolean {
  if (!TRACKER_FILES.every((name) => existsSync(entryPath(root, name)))) return false;
  try {
    createRequire(join(root, 'package.json')).resolve('esbuild');
    return true;
  } catch {
    return false;
  }
}

export async function bundleTracker(root: string = repoRoot()): Promise<TrackerBuild> {
  const { build } = await import('esbuild');
  const version = readPackageVersion(root);
  const files = await Promise.all(
    TRACKER_FILES.map(async (name): Promise<BuiltTrackerFile> => {
      const result = await build({
        entryPoints: [entryPath(root, name)],
        bundle: true,
        write: false,
        minify: true,
        format: 'iife',
        // Safari 14.1, Chrome 85, Firefox 79: `?.` and `||=` stay native.
        target: 'es2021',
        platform: 'browser',
        legalComments: 'none',
        // Not the repo's tsconfig: its `strict` makes esbuild prepend "use strict", 13 bytes that change
        // nothing inside this IIFE.
        tsconfigRaw: {},
        define: { __FOOTFALL_VERSION__: JSON.stringify(version) },
        logLevel: 'silent',
      });
      const code = result.outputFiles[0]!.text;
      return { name, code, sri: sriOf(code), gzipBytes: gzipBytesOf(code) };
    }),
  );
  return { version, files };
}
