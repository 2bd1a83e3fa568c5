// Builds dist/tracker/{footfall.js,footfall.core.js,manifest.json,footfall.d.ts}.
// Run: npx tsx tracker/build.ts   (or `npm run build:tracker`)
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  type BuiltTrackerFile,
  bundleTracker,
  defaultTrackerDistDir,
  writeTrackerBuild,
} from '../src/modules/tracker/index.js';

/** Builds both bundles; writes them to `outDir` (default dist/tracker) unless `outDir` is false. */
export async function buildTracker(
  opts: { outDir?: string | false } = {},
): Promise<{ version: string; files: BuiltTrackerFile[] }> {
  const build = await bundleTracker();
  const outDir = opts.outDir ?? defaultTrackerDistDir();
  if (outDir !== false) {
    await writeTrackerBuild(build, outDir);
    await copyFile(fileURLToPath(new URL('footfall.d.ts', import.meta.url)), join(outDir, 'footfall.d.ts'));
  }
  return build;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { files } = await buildTracker();
  for (const file of files) {
    console.log(
      `${file.name.padEnd(18)} ${String(file.code.length).padStart(6)} B min  ${file.gzipBytes} B gzip  ${file.sri}`,
    );
  }
}
