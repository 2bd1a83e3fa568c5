// Builds the dashboard (dashboard/src) into content-hashed static files, in memory: index.html, one script,
// one stylesheet and the icon. Run `npx tsx dashboard/build.ts` to write them to dist/dashboard and print sizes.
import { createHash } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  contentTypeOf,
  type DashboardBuild,
  type DashboardFile,
  etagOf,
  gzipBytesOf,
  INDEX_PATH,
  writeDashboardBuild,
} from '../src/modules/dashboard/index.js';
import { repoRoot } from '../src/platform/paths.js';

const hash8 = (body: Buffer) => createHash('sha256').update(body).digest('hex').slice(0, 8).toUpperCase();

function file(path: string, body: Buffer): [string, DashboardFile] {
  return [path, { body, contentType: contentTypeOf(path), etag: etagOf(body) }];
}

export interface DashboardBuildReport extends DashboardBuild {
  /** The files of the heaviest first visit (the frame plus the largest page), with their sizes. */
  sizes: { path: string; bytes: number; gzipBytes: number }[];
  /** The page whose first visit downloads the most. */
  heaviestPage: string;
}

type Metafile = {
  outputs: Record<
    string,
    { entryPoint?: string; imports: { path: string; kind: string }[]; cssBundle?: string }
  >;
};

/** The output and everything it imports statically: what the browser fetches before the module runs. */
function staticClosure(metafile: Metafile, start: string, into = new Set<string>()): Set<string> {
  if (into.has(start)) return into;
  into.add(start);
  for (const imported of metafile.outputs[start]?.imports ?? []) {
    if (imported.kind === 'import-statement') staticClosure(metafile, imported.path, into);
  }
  return into;
}

export async function buildDashboard(): Promise<DashboardBuildReport> {
  const { build } = await import('esbuild');
  const root = repoRoot();
  const src = join(root, 'dashboard', 'src');
  const outdir = join(root, 'dist', 'dashboard', 'assets');
  const entry = join(src, 'main.tsx');
  const result = await build({
    entryPoints: { app: entry },
    absWorkingDir: root,
    bundle: true,
    write: false,
    minify: true,
    // Each page is a chunk loaded on first visit (see components/lazy-page.tsx); shared code is split out.
    splitting: true,
    format: 'esm',
    platform: 'browser',
    // Browsers from 2022 on: native ESM, `?.`, `??`, dialog.showModal (Safari 15.4 is the last to add it).
    target: ['es2021', 'chrome96', 'firefox98', 'safari15.4'],
    outdir,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'eof',
    metafile: true,
    define: { 'process.env.NODE_ENV': '"production"' },
    tsconfigRaw: { compilerOptions: { jsx: 'react-jsx', jsxImportSource: 'preact' } },
    logLevel: 'silent',
  });

  const files = new Map<string, DashboardFile>();
  for (const output of result.outputFiles) {
    const name = basename(output.path);
    if (!name.endsWith('.js') && !name.endsWith('.css')) continue;
    files.set(...file(`/assets/${name}`, Buffer.from(output.contents)));
  }
  const metafile = result.metafile as Metafile;
  const urlOf = (outputPath: string) => `/assets/${basename(outputPath)}`;
  const entryOutput = Object.entries(metafile.outputs).find(
    ([, o]) => o.entryPoint && join(root, o.entryPoint) === entry,
  );
  if (!entryOutput?.[1].cssBundle)
    throw new Error('esbuild produced no script or stylesheet for the dashboard');
  const [entryPath, { cssBundle }] = entryOutput;
  const initial = staticClosure(metafile, entryPath);

  const icon = await readFile(join(src, 'favicon.svg'));
  const iconPath = `/assets/favicon-${hash8(icon)}.svg`;
  files.set(...file(iconPath, icon));

  // Chunks the entry imports statically are preloaded, so they download alongside it instead of after it.
  const preloads = [...initial]
    .filter((p) => p !== entryPath)
    .map((p) => `<link rel="modulepreload" href="${urlOf(p)}" />`)
    .join('\n    ');
  const template = await readFile(join(src, 'index.html'), 'utf8');
  const html = template
    .replace('%ICON%', iconPath)
    .replace('%CSS%', urlOf(cssBundle))
    .replace('%JS%', urlOf(entryPath))
    .replace('<!-- %PRELOADS% -->', preloads);
  files.set(...file(INDEX_PATH, Buffer.from(html)));

  const sizeOf = (path: string) => {
    const body = files.get(path)?.body ?? Buffer.alloc(0);
    return { path, bytes: body.length, gzipBytes: gzipBytesOf(body) };
  };
  // The heaviest first visit: the frame, then the page chunk (and its chunks) that adds the most.
  let heaviestPage = '';
  let heaviest: string[] = [];
  let heaviestBytes = -1;
  for (const [path, output] of Object.entries(metafile.outputs)) {
    if (!output.entryPoint || path === entryPath || !path.endsWith('.js')) continue;
    const extra = [...staticClosure(metafile, path)].filter((p) => !initial.has(p));
    const bytes = extra.reduce((sum, p) => sum + sizeOf(urlOf(p)).gzipBytes, 0);
    if (bytes > heaviestBytes) {
      heaviestBytes = bytes;
      heaviest = extra;
      heaviestPage = output.entryPoint;
    }
  }
  const sizes = [INDEX_PATH, urlOf(cssBundle), iconPath, ...[...initial, ...heaviest].map(urlOf)].map(sizeOf);
  return { files, gzipBytes: sizes.reduce((sum, s) => sum + s.gzipBytes, 0), sizes, heaviestPage };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const built = await buildDashboard();
  const out = join(repoRoot(), 'dist', 'dashboard');
  await rm(out, { recursive: true, force: true });
  await writeDashboardBuild(built, out);
  for (const s of built.sizes) {
    console.log(
      `${s.path.padEnd(36)} ${String(s.bytes).padStart(7)} B  ${String(s.gzipBytes).padStart(6)} B gzip`,
    );
  }
  console.log(
    `initial load (heaviest first page, ${built.heaviestPage}): ${built.gzipBytes} B gzip (budget 102400 B) → ${out}`,
  );
}
