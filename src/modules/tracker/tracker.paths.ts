// Where the repository is, found from this file rather than the working directory, so it holds whether
// the server runs from src/ with tsx or from a compiled or bundled copy elsewhere in the tree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../platform/paths.js';

export { repoRoot };

export const readPackageVersion = (root: string): string =>
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
