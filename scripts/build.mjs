// Builds everything `npm start` serves: the server bundle (dist/cli.js), the tracker (dist/tracker) and the
// dashboard (dist/dashboard). esbuild bundles our TypeScript; node_modules stay external.
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';

const started = Date.now();
await build({
  entryPoints: ['src/main/cli.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
});
for (const script of ['tracker/build.ts', 'dashboard/build.ts']) {
  execFileSync(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'ignore', 'inherit'] });
}
process.stderr.write(`built dist/ (server, tracker, dashboard) in ${Date.now() - started} ms\n`);
