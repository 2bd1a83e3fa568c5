import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Config, Role } from '../platform/config.js';

/** What a process of a cluster tells the primary once it listens. */
interface ReadyMessage {
  footfall: 'ready';
  url: string;
}

const isReadyMessage = (message: unknown): message is ReadyMessage =>
  typeof message === 'object' &&
  message !== null &&
  (message as { footfall?: unknown }).footfall === 'ready' &&
  typeof (message as { url?: unknown }).url === 'string';

/** `--processes N` or `auto` (one per core this process may use); undefined means 1. */
export function parseProcesses(text: string | undefined): number | string {
  if (text === undefined) return 1;
  if (text === 'auto') return availableParallelism();
  const count = Number(text);
  if (!Number.isInteger(count) || count < 1 || count > 64) return '--processes takes 1 to 64, or auto';
  return count;
}

/**
 * Why more than one process is refused, or null when it is allowed. One Node.js process uses one core for
 * JavaScript; ingest and the worker are stateless (the Redis stream, its consumer group and the database are
 * what they share), so N of them on one machine use N cores, as N instances behind a load balancer would. The
 * embedded mode cannot: its buffer lives in the process and SQLite takes one writer. `all` and `api` stay single:
 * their first start creates the demo organization and prints its keys once, which N processes would race for.
 */
export function processesRefusal(count: number, role: Role, config: Config): string | null {
  if (count === 1) return null;
  if (role !== 'ingest' && role !== 'worker')
    return `--processes above 1 is for --role ingest or worker (run more api instances side by side instead)`;
  if (config.database.kind !== 'mysql' || config.redisUrl === null)
    return '--processes above 1 needs DATABASE_URL (MySQL) and REDIS_URL: the embedded buffer and SQLite belong to one process';
  return null;
}

/** In a process the primary forked: tells it that this one listens at `url`. */
export function announceReady(url: string): void {
  if (cluster.isWorker && process.send) process.send({ footfall: 'ready', url } satisfies ReadyMessage);
}

export const isClusterWorker = (): boolean => cluster.isWorker;

/**
 * The primary of `footfall serve --processes N`: forks N processes that run the role and share the port
 * (Node's cluster hands each new connection to one of them in turn), prints the banner when the first
 * listens, and replaces a process that dies, unless they keep dying (then it stops them all and exits 1). On
 * SIGTERM or SIGINT each process gets SIGTERM and shuts down as a single one would (refuse new requests,
 * finish the ones in flight, finish the batch); the primary exits when the last one has, 0 when all exited 0.
 */
export function runPrimary(options: {
  count: number;
  role: Role;
  print: (line: string) => void;
  warn: (line: string) => void;
}): void {
  const live = new Set<Worker>();
  /** Processes that listen: one still starting has taken no request, and SIGTERM simply ends it. */
  const listening = new Set<Worker>();
  let stopping = false;
  let announced = false;
  let exitCode = 0;
  const deaths: number[] = [];

  const fork = () => {
    const worker = cluster.fork();
    live.add(worker);
    worker.on('message', (message: unknown) => {
      if (!isReadyMessage(message)) return;
      listening.add(worker);
      if (announced) return;
      announced = true;
      options.print(
        `\n  Footfall is running at ${message.url}\n  Role: ${options.role}, ${options.count} processes\n`,
      );
    });
  };

  const stopAll = (code: number) => {
    exitCode = Math.max(exitCode, code);
    if (stopping) return;
    stopping = true;
    for (const worker of live) worker.process.kill('SIGTERM');
  };

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    const wasListening = listening.delete(worker);
    if (stopping) {
      if (code !== 0 && (wasListening || signal !== 'SIGTERM')) {
        exitCode = 1;
        options.warn(`footfall: process ${worker.process.pid} exited (${signal ?? code}) while stopping`);
      }
      if (live.size === 0) process.exit(exitCode);
      return;
    }
    const now = Date.now();
    deaths.push(now);
    while (deaths.length > 0 && (deaths[0] as number) < now - 60_000) deaths.shift();
    if (deaths.length > 3 * options.count) {
      options.warn(`footfall: processes keep dying (${deaths.length} in a minute); stopping`);
      stopAll(1);
      if (live.size === 0) process.exit(1);
      return;
    }
    options.warn(`footfall: process ${worker.process.pid} exited (${signal ?? code}); starting another`);
    fork();
  });

  for (let i = 0; i < options.count; i++) fork();
  process.once('SIGTERM', () => stopAll(0));
  process.once('SIGINT', () => stopAll(0));
}
