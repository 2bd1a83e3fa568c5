import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createStore, type ProductionSetup, startProductionSetup } from '../faults/fault-processes.js';
import { exactlyOnceViolations, startLoad, storedCounts } from '../faults/load-driver.js';
import { waitFor } from '../harness/app.js';

// `footfall serve --role ingest --processes N`: N processes on one port (node:cluster), so one machine's cores
// all take tracking calls. Production mode only: MariaDB and a private Redis.

/** The pids of a process's children that run Footfall (the cluster's processes; tsx has an esbuild child). */
function childrenOf(pid: number): number[] {
  let pids: number[] = [];
  try {
    pids = execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
  return pids.filter((child) => {
    try {
      return readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('cli.ts');
    } catch {
      return false; // gone meanwhile
    }
  });
}

/** CPU time (user + system) a process has used, in clock ticks, from /proc. */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
}

/** Runs `footfall serve` with these arguments until it exits; its exit code and output. */
function runServe(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main/cli.ts', 'serve', ...args], {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

describe('serve --processes (production mode)', () => {
  let setup: ProductionSetup;

  beforeAll(async () => {
    setup = await startProductionSetup();
  });
  afterAll(async () => {
    await setup?.close();
  });

  it('spreads tracking calls over N processes on one port, replaces one that dies, and stops them all on SIGTERM with nothing lost', {
    timeout: 240_000,
  }, async () => {
    const { services, db } = setup;
    const { store, writeKey } = await createStore(services, 'processes store');
    const ingest = await setup.start('ingest', {}, ['--processes', '2']);
    expect(ingest.output()).toMatch(/Role: ingest, 2 processes/);
    const primary = ingest.child.pid as number;
    const first = await waitFor(
      async () => childrenOf(primary),
      (pids) => pids.length === 2,
      { what: 'two ingest processes' },
    );
    const ticksBefore = first.map(cpuTicks);

    const load = startLoad({ url: () => ingest.url, key: () => writeKey, batchSize: 20, senders: 6 });
    onTestFailed(() => {
      console.error('failures:', JSON.stringify(load.failures().slice(0, 5)));
      console.error('ingest:', ingest.output().slice(-3000));
    });
    await load.answered(200);
    // Both processes did the work: each spent CPU on the load (an idle one spends next to none).
    const spent = first.map((pid, index) => cpuTicks(pid) - (ticksBefore[index] as number));
    for (const ticks of spent) expect(ticks).toBeGreaterThan(10);

    // A process that dies is replaced; the port keeps answering meanwhile.
    process.kill(first[0] as number, 'SIGKILL');
    const replaced = await waitFor(
      async () => childrenOf(primary),
      (pids) => pids.length === 2 && !pids.includes(first[0] as number),
      { what: 'a new process in place of the killed one', timeoutMs: 30_000 },
    );
    expect(replaced).toContain(first[1]);
    const answeredBefore = load.answers.length;
    await load.answered(100);
    expect(load.answers.slice(answeredBefore).filter((a) => a.status === 200).length).toBeGreaterThan(0);

    // SIGTERM: every process shuts down as a single one does; the primary exits 0 after the last one.
    const stopped = ingest.stop('SIGTERM');
    await load.stop();
    await stopped;
    expect(ingest.child.exitCode).toBe(0);
    expect(childrenOf(primary)).toEqual([]);
    for (const pid of replaced) expect(() => process.kill(pid, 0)).toThrow();

    // Only requests that met the killed process may have failed, and only as network errors.
    for (const failure of load.failures()) expect(failure.error).toBeDefined();
    const worker = await setup.start('worker');
    await waitFor(
      () => services.pipeline.events.count(store.id),
      (n) => n >= load.accepted.length,
      { timeoutMs: 120_000, what: `all ${load.accepted.length} accepted events stored` },
    );
    expect(exactlyOnceViolations(await storedCounts(db, store.id), load)).toEqual([]);
    await worker.stop('SIGTERM');
  });

  it('refuses more than one process where processes cannot share the work', async () => {
    const embedded = await runServe(['--role', 'ingest', '--processes', '2', '--port', '0'], {
      DATABASE_URL: 'sqlite::memory:',
    });
    expect(embedded.code).not.toBe(0);
    expect(embedded.output).toMatch(/needs DATABASE_URL \(MySQL\) and REDIS_URL/);
    const all = await runServe(['--role', 'all', '--processes', '2', '--port', '0'], setup.env);
    expect(all.code).not.toBe(0);
    expect(all.output).toMatch(/--processes above 1 is for --role ingest or worker/);
    const zero = await runServe(['--role', 'ingest', '--processes', '0', '--port', '0'], setup.env);
    expect(zero.output).toMatch(/--processes takes 1 to 64, or auto/);
  }, 60_000);
});
