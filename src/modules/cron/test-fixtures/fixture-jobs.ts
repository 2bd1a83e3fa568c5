import { setTimeout as sleep } from 'node:timers/promises';
import type { Transaction } from 'kysely';
import type { Database } from '../../../platform/db/database.js';
import type { JobContext, JobDefinition } from '../cron.types.js';

/**
 * Test-only tables that make a job's side effects countable: `cron_fx_effects` holds one row per committed
 * chunk (its key makes a chunk idempotent), `cron_fx_counters` a plain counter that a double effect would
 * push past the number of chunks.
 */
export interface FixtureTables {
  cron_fx_effects: { job: string; chunk: number };
  cron_fx_counters: { job: string; value: number };
}

export async function createFixtureTables(database: Database): Promise<void> {
  const db = database.typed<FixtureTables>();
  await db.schema
    .createTable('cron_fx_effects')
    .ifNotExists()
    .addColumn('job', 'varchar(64)', (c) => c.notNull())
    .addColumn('chunk', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('cron_fx_effects_pk', ['job', 'chunk'])
    .execute();
  await db.schema
    .createTable('cron_fx_counters')
    .ifNotExists()
    .addColumn('job', 'varchar(64)', (c) => c.primaryKey())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();
}

/** Creates the job's counter at 0 (once, before any run). */
export async function resetCounter(database: Database, job: string): Promise<void> {
  const db = database.typed<FixtureTables>();
  await db.deleteFrom('cron_fx_effects').where('job', '=', job).execute();
  await db.deleteFrom('cron_fx_counters').where('job', '=', job).execute();
  await db.insertInto('cron_fx_counters').values({ job, value: 0 }).execute();
}

export async function readCounter(
  database: Database,
  job: string,
): Promise<{ counter: number; effects: number }> {
  const db = database.typed<FixtureTables>();
  const counter = await db
    .selectFrom('cron_fx_counters')
    .select('value')
    .where('job', '=', job)
    .executeTakeFirst();
  const effects = await db
    .selectFrom('cron_fx_effects')
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .where('job', '=', job)
    .executeTakeFirstOrThrow();
  return { counter: Number(counter?.value ?? 0), effects: Number(effects.n) };
}

/** One idempotent chunk: skip it if committed before (by us or a previous owner), else record it and count. */
export async function commitChunk(
  trx: Transaction<FixtureTables>,
  job: string,
  chunk: number,
): Promise<number> {
  const done = await trx
    .selectFrom('cron_fx_effects')
    .select('chunk')
    .where('job', '=', job)
    .where('chunk', '=', chunk)
    .executeTakeFirst();
  if (done) return 0;
  await trx.insertInto('cron_fx_effects').values({ job, chunk }).execute();
  await trx
    .updateTable('cron_fx_counters')
    .set((eb) => ({ value: eb('value', '+', 1) }))
    .where('job', '=', job)
    .execute();
  return 1;
}

export interface CountingJobOptions {
  name: string;
  schedule?: string;
  leaseMs: number;
  chunks: number;
  /** Work before each chunk's commit. */
  chunkDelayMs: number;
  /** Called before each chunk; a test awaits a gate here to stall or pause the run. */
  beforeChunk?: (chunk: number, ctx: JobContext) => Promise<void>;
}

/** A chunked, idempotent job: what every maintenance handler is expected to look like. */
export function countingJob(
  options: CountingJobOptions,
): JobDefinition<{ chunks: number; committed: number }> {
  return {
    name: options.name,
    schedule: options.schedule ?? '0 * * * *',
    leaseMs: options.leaseMs,
    description: `test job ${options.name}`,
    async handler(ctx) {
      let committed = 0;
      for (let chunk = 0; chunk < options.chunks; chunk++) {
        await options.beforeChunk?.(chunk, ctx);
        if (options.chunkDelayMs > 0) await sleep(options.chunkDelayMs, undefined, { signal: ctx.signal });
        committed += await ctx.fence.commit<FixtureTables>((trx) => commitChunk(trx, options.name, chunk));
      }
      return { chunks: options.chunks, committed };
    },
  };
}

/** The jobs every fixture instance registers; the test refers to them by these names. */
export const FIXTURE_JOBS = {
  /** One chunk after ~300 ms of work: 50 concurrent calls must run it once. */
  once: { name: 'mp-once', leaseMs: 5_000, chunks: 1, chunkDelayMs: 300 },
  /** Five chunks of ~300 ms under a 1.5 s lease: long enough to be killed mid-way and taken over. */
  crash: { name: 'mp-crash', leaseMs: 1_500, chunks: 5, chunkDelayMs: 300 },
  /** Same shape, for a process that is paused (SIGSTOP) past its lease and then resumed: a zombie. */
  pause: { name: 'mp-pause', leaseMs: 1_500, chunks: 5, chunkDelayMs: 300 },
  /**
   * Killed mid-way on an instance with a true clock, taken over by one whose clock is 5 minutes ahead. The
   * 10 s lease leaves the survivor seconds in which it must still see the run as alive (on a loaded machine).
   */
  skew: { name: 'mp-skew', leaseMs: 10_000, chunks: 5, chunkDelayMs: 300 },
  /** One quick chunk, run once and then called again for the same slot (a scheduler's redelivery). */
  replay: { name: 'mp-replay', leaseMs: 5_000, chunks: 1, chunkDelayMs: 50 },
} as const;
