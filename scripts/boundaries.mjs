// Modules meet only at index.ts: fails on a deep import into another module, or on platform importing a module.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const violations = [];

function walk(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.tsx?$/.test(name)) check(path);
  }
}

function moduleOf(path) {
  const parts = relative(join(root, 'src'), path).split(sep);
  return parts[0] === 'modules' ? parts[1] : parts[0];
}

function check(file) {
  const source = readFileSync(file, 'utf8');
  for (const match of source.matchAll(/(?:import|export)[^'"]*?from\s+['"](\.[^'"]+)['"]/g)) {
    const target = resolve(dirname(file), match[1]);
    if (!target.startsWith(join(root, 'src'))) continue;
    const from = moduleOf(file);
    const to = moduleOf(target);
    const rel = relative(root, file);
    if (from === 'platform' && target.startsWith(join(root, 'src', 'modules'))) {
      violations.push(`${rel}: platform imports a module (${match[1]})`);
    }
    const intoModule = target.startsWith(join(root, 'src', 'modules') + sep);
    if (intoModule && from !== to && !/[/\\]index\.js$/.test(target)) {
      violations.push(`${rel}: deep import into module "${to}" (${match[1]}); import its index.js`);
    }
  }
}

walk(join(root, 'src'));
if (violations.length > 0) {
  console.error(`Module boundary violations:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log('module boundaries ok');
