// Builds the server bundle (dist/cli.js). esbuild bundles our TypeScript; node_modules stay external.
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
process.stderr.write(`built dist/cli.js in ${Date.now() - started} ms\n`);
