// Preloaded into each Footfall process by `npm run bench:soak` (node --expose-gc --import ./bench/soak-probe.mjs):
// every SOAK_PROBE_INTERVAL_MS it collects garbage (so heapUsed is the live heap, not GC timing) and prints one
// line to stderr: `soak-probe {"rssMb":…,"heapUsedMb":…,"loopP50Ms":…,"loopP99Ms":…,"loopMaxMs":…}`.
// Inert unless SOAK_PROBE_INTERVAL_MS is set; Footfall itself has no such code path.
import { monitorEventLoopDelay } from 'node:perf_hooks';

const intervalMs = Number(process.env.SOAK_PROBE_INTERVAL_MS ?? 0);
if (intervalMs > 0) {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const mb = (bytes) => Math.round((bytes / 1048576) * 10) / 10;
  const ms = (ns) => Math.round((ns / 1e6) * 10) / 10;
  const timer = setInterval(() => {
    // Event-loop delay first: the forced GC below would show up in the next interval's figures otherwise.
    const loop = {
      loopP50Ms: ms(delay.percentile(50)),
      loopP99Ms: ms(delay.percentile(99)),
      loopMaxMs: ms(delay.max),
    };
    if (typeof globalThis.gc === 'function') globalThis.gc();
    const memory = process.memoryUsage();
    process.stderr.write(
      `soak-probe ${JSON.stringify({ rssMb: mb(memory.rss), heapUsedMb: mb(memory.heapUsed), ...loop })}\n`,
    );
    delay.reset();
  }, intervalMs);
  timer.unref();
}
