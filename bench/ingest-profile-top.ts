import { readFileSync } from 'node:fs';

// `node --import tsx bench/ingest-profile-top.ts FILE.cpuprofile [N]`: the top frames of a V8 CPU profile by
// self time, with their share of all samples — what the ingest bench's closing note quotes.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

const [file, countText] = process.argv.slice(2);
if (!file) throw new Error('usage: ingest-profile-top.ts FILE.cpuprofile [N]');
const profile = JSON.parse(readFileSync(file, 'utf8')) as {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
};
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, index) => {
  selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const totals = new Map<string, number>();
let allUs = 0;
for (const [id, us] of selfUs) {
  const frame = byId.get(id)?.callFrame;
  if (!frame) continue;
  allUs += us;
  const where = frame.url
    ? `${frame.url.replace(/^.*\/(node_modules\/|dist\/|src\/)/, '$1')}:${frame.lineNumber + 1}`
    : '';
  const key = `${frame.functionName || '(anonymous)'} ${where}`;
  totals.set(key, (totals.get(key) ?? 0) + us);
}
const idleUs = [...totals].filter(([key]) => key.startsWith('(idle)')).reduce((sum, [, us]) => sum + us, 0);
process.stdout.write(`${(allUs / 1e6).toFixed(1)} s sampled, ${((idleUs / allUs) * 100).toFixed(1)}% idle\n`);
for (const [key, us] of [...totals].sort((a, b) => b[1] - a[1]).slice(0, Number(countText ?? 30))) {
  process.stdout.write(`${((us / allUs) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
}

// Inclusive time: each sample counts once for every distinct frame on its stack.
const parentOf = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
const label = (node: ProfileNode) => {
  const frame = node.callFrame;
  const where = frame.url
    ? `${frame.url.replace(/^.*\/(node_modules\/|dist\/|src\/)/, '$1')}:${frame.lineNumber + 1}`
    : '';
  return `${frame.functionName || '(anonymous)'} ${where}`;
};
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    const node = byId.get(at);
    if (!node) break;
    const key = label(node);
    if (seen.has(key)) continue;
    seen.add(key);
    inclusive.set(key, (inclusive.get(key) ?? 0) + us);
  }
}
process.stdout.write('\ninclusive (busy time only):\n');
const busyUs = allUs - idleUs;
for (const [key, us] of [...inclusive]
  .filter(([key]) => !key.startsWith('(root)') && !key.startsWith('(idle)'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, Number(countText ?? 30))) {
  process.stdout.write(`${((us / busyUs) * 100).toFixed(1).padStart(5)}%  ${key}\n`);
}
