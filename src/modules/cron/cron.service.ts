import type { Clock } from '../../platform/clock.js';
import { AppError, err, invalid, notFound, ok, type Result } from '../../platform/errors.js';
import { type Ids, parsePublicId, toPublicId, type Uid } from '../../platform/ids.js';
import type { Logger } from '../../platform/log.js';
import { type CronRepository, type FencedRun, isDeadlock, type RunRecord } from './cron.repository.js';
import {
  type FenceGuard,
  FenceLostError,
  type JobContext,
  type JobDefinition,
  type JobInfo,
  type RunAnswerStatus,
  type RunOutcome,
  type RunStatus,
  type RunView,
} from './cron.types.js';
import { type CronExpression, parseCronExpression, previousSlot } from './cron-expression.js';
import { resolveSlot, type SlotRules } from './cron-slot.js';

/** A job as registered: the definition with its parsed schedule and effective lease. */
export interface RegisteredJob {
  readonly name: string;
  readonly schedule: string;
  readonly expression: CronExpression;
  readonly description: string;
  readonly leaseMs: number;
  readonly handler: JobDefinition['handler'];
}

export interface CronServiceOptions extends SlotRules {
  defaultLeaseMs: number;
  /** false only in tests that play a stalled process: the lease is then renewed by fenced commits alone. */
  renewLeases: boolean;
}

export interface RunOptions {
  /** ISO text (from HTTP) or epoch ms; absent → the latest slot of the schedule. */
  slot?: string | number;
  dryRun?: boolean;
  /**
   * Whether a failed run of this slot is attempted again. Explicit calls retry; `tick` does not, so a broken
   * job does not run every minute — it stays `failed`, visible in history, until someone calls it.
   */
  retryFailed?: boolean;
}

export interface RunQuery {
  job?: string;
  status?: RunStatus;
  limit?: number;
  cursor?: string;
}

export type CronService = ReturnType<typeof createCronService>;

const JOB_NAME = /^[a-z](?:[a-z0-9-]{0,38}[a-z0-9])?$/;
/** Path segments the routes use; a job with one of these names could not be called. */
const RESERVED_NAMES = new Set(['tick', 'runs', 'jobs', 'tokens']);
const MIN_LEASE_MS = 100;
const MAX_LEASE_MS = 6 * 3_600_000;
const MAX_RESULT_CHARS = 60_000;
const MAX_ERROR_CHARS = 2_000;
/** Bounded retries when the claim row changes under us (another instance racing for the same slot). */
const MAX_CLAIM_ROUNDS = 8;

class ShutdownError extends Error {
  constructor() {
    super('the instance is shutting down');
    this.name = 'ShutdownError';
  }
}

const iso = (ms: number) => new Date(ms).toISOString();
const shuttingDown = () => new AppError('unavailable', 'This instance is shutting down', { retryAfterS: 1 });

function parseResult(json: string | null): unknown {
  if (json === null) return null;
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return null;
  }
}

function serialiseResult(result: unknown, log: Logger): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(result === undefined ? null : result);
  } catch (error) {
    log.warn({ err: error }, 'cron job result is not JSON-serialisable; storing null');
    return 'null';
  }
  if (json === undefined) return 'null';
  if (json.length > MAX_RESULT_CHARS) return JSON.stringify({ truncated: true, length: json.length });
  return json;
}

function describeError(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

export function toRunView(run: RunRecord): RunView {
  return {
    id: toPublicId('run', run.uid),
    job: run.job,
    slot: iso(run.slotMs),
    status: run.status,
    dryRun: run.isDryRun,
    startedAt: iso(run.startedAt),
    finishedAt: run.finishedAt === null ? null : iso(run.finishedAt),
    heartbeatAt: iso(run.heartbeatAt),
    rowsAffected: run.rowsAffected,
    result: parseResult(run.resultJson),
    error: run.error,
    instance: run.instance,
    fence: run.fence,
    attempts: run.attempts,
  };
}

function outcomeOf(run: RunRecord, status: RunAnswerStatus): RunOutcome {
  return {
    job: run.job,
    slot: iso(run.slotMs),
    slotMs: run.slotMs,
    status,
    runId: toPublicId('run', run.uid),
    result: parseResult(run.resultJson),
    error: run.error,
    dryRun: run.isDryRun,
  };
}

/** What a call that does not own the run reports, from the row's current state. */
function answerFor(run: RunRecord): RunAnswerStatus {
  switch (run.status) {
    case 'succeeded':
      return 'skipped';
    case 'failed':
      return 'failed';
    case 'running':
      return 'running';
  }
}

export function createCronService(deps: {
  repository: CronRepository;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  instanceId: string;
  options: CronServiceOptions;
}) {
  const { repository, clock, ids, options } = deps;
  // The column is varchar(128); an over-long id must not make every claim fail.
  const instanceId = deps.instanceId.slice(0, 128);
  const log = deps.logger.child({ module: 'cron', instance: instanceId });
  const registry = new Map<string, RegisteredJob>();
  /** Runs this instance is executing, so `close` can stop them. */
  const active = new Set<{ controller: AbortController; fenced: FencedRun; done: Promise<unknown> }>();
  let isClosing = false;

  function register<Result>(definition: JobDefinition<Result>): void {
    if (!JOB_NAME.test(definition.name) || RESERVED_NAMES.has(definition.name)) {
      throw new Error(
        `cron job name "${definition.name}" must match ${JOB_NAME} and not be ${[...RESERVED_NAMES]}`,
      );
    }
    if (registry.has(definition.name)) throw new Error(`cron job "${definition.name}" is already registered`);
    const leaseMs = definition.leaseMs ?? options.defaultLeaseMs;
    if (!Number.isInteger(leaseMs) || leaseMs < MIN_LEASE_MS || leaseMs > MAX_LEASE_MS) {
      throw new Error(`cron job "${definition.name}": leaseMs must be ${MIN_LEASE_MS}-${MAX_LEASE_MS}`);
    }
    registry.set(definition.name, {
      name: definition.name,
      schedule: definition.schedule,
      expression: parseCronExpression(definition.schedule),
      description: definition.description,
      leaseMs,
      handler: definition.handler,
    });
  }

  /** Runs the handler under a claim this instance owns (fresh, taken over, or re-claimed). */
  async function execute(
    job: RegisteredJob,
    claim: RunRecord | { id: number; uid: Uid },
    fence: number,
    slotMs: number,
    isDryRun: boolean,
  ): Promise<RunOutcome> {
    const runId = toPublicId('run', claim.uid);
    const fenced: FencedRun = { id: claim.id, job: job.name, slotMs, fence, leaseMs: job.leaseMs };
    const runLog = log.child({ job: job.name, slot: iso(slotMs), runId, fence, dryRun: isDryRun });
    const controller = new AbortController();
    let isFenceLost = false;
    let dryRunRows = 0;
    const markFenceLost = () => {
      if (isFenceLost) return;
      isFenceLost = true;
      runLog.warn('fence lost: another instance took this run over; stopping');
      controller.abort(new FenceLostError(job.name, slotMs, fence));
    };

    const heartbeat = async () => {
      if (isFenceLost || !(await repository.renewLease(fenced))) {
        markFenceLost();
        throw new FenceLostError(job.name, slotMs, fence);
      }
    };
    let renewal: Promise<void> | null = null;
    const timer = options.renewLeases
      ? setInterval(
          () => {
            if (renewal !== null || isFenceLost) return;
            renewal = heartbeat()
              .catch((error: unknown) => {
                // A failed renewal (database away) is retried on the next tick; the fence protects the data if
                // the lease runs out meanwhile.
                if (!(error instanceof FenceLostError)) runLog.warn({ err: error }, 'lease renewal failed');
              })
              .finally(() => {
                renewal = null;
              });
          },
          Math.max(50, Math.floor(job.leaseMs / 3)),
        )
      : null;
    timer?.unref();

    const fenceGuard: FenceGuard = {
      fence,
      async commit(work) {
        if (isFenceLost) throw new FenceLostError(job.name, slotMs, fence);
        try {
          const rows = await repository.commitFenced(fenced, work, { rollback: isDryRun });
          if (isDryRun) dryRunRows += rows;
          return rows;
        } catch (error) {
          if (error instanceof FenceLostError) markFenceLost();
          throw error;
        }
      },
    };
    const context: JobContext = {
      job: job.name,
      slotMs,
      dryRun: isDryRun,
      runId,
      signal: controller.signal,
      log: runLog,
      fence: fenceGuard,
      heartbeat,
    };

    const lostOutcome = async (): Promise<RunOutcome> => {
      const current = await repository.findRun(claim.id);
      if (!current) throw new Error(`cron run ${runId} vanished`);
      return outcomeOf(current, answerFor(current));
    };

    const work = (async (): Promise<RunOutcome> => {
      runLog.info('cron run started');
      const startedMs = clock.nowMs();
      try {
        const result = await job.handler(context);
        if (isFenceLost) return await lostOutcome();
        const resultJson = serialiseResult(result, runLog);
        if (!(await repository.finish(fenced, resultJson, isDryRun ? dryRunRows : null)))
          return await lostOutcome();
        runLog.info({ durationMs: clock.nowMs() - startedMs }, 'cron run finished');
        const finished = await repository.findRun(claim.id);
        if (!finished) throw new Error(`cron run ${runId} vanished`);
        return outcomeOf(finished, 'ran');
      } catch (error) {
        if (isFenceLost || error instanceof FenceLostError) return await lostOutcome();
        if (controller.signal.reason instanceof ShutdownError) {
          // Hand the run to the next call at once instead of making it wait out the lease.
          await repository.releaseLease(fenced);
          runLog.warn('cron run interrupted by shutdown; released its lease');
          const current = await lostOutcome();
          return {
            ...current,
            status: 'failed',
            error: 'interrupted: the instance shut down; the next call resumes it',
          };
        }
        const message = describeError(error);
        runLog.error({ err: error }, 'cron run failed');
        if (!(await repository.fail(fenced, message, isDryRun ? dryRunRows : null)))
          return await lostOutcome();
        const failed = await repository.findRun(claim.id);
        if (!failed) throw new Error(`cron run ${runId} vanished`);
        return outcomeOf(failed, 'failed');
      } finally {
        if (timer) clearInterval(timer);
      }
    })();
    const entry = { controller, fenced, done: work.catch(() => undefined) };
    active.add(entry);
    try {
      return await work;
    } finally {
      active.delete(entry);
    }
  }

  /** Claims (job, slot) exactly once across all instances, then runs it, or reports who has it. */
  async function runSlot(
    job: RegisteredJob,
    slotMs: number,
    runOptions: { dryRun: boolean; retryFailed: boolean },
  ): Promise<RunOutcome> {
    const insert = async (isDryRun: boolean): Promise<{ id: number; uid: Uid } | null> => {
      const uid = ids.newUid();
      for (let attempt = 0; ; attempt++) {
        try {
          const id = await repository.insertRun({
            uid,
            job: job.name,
            slotMs,
            isDryRun,
            instance: instanceId,
            leaseMs: job.leaseMs,
          });
          return id === null ? null : { id, uid };
        } catch (error) {
          if (!isDeadlock(error) || attempt >= 3) throw error;
        }
      }
    };

    if (runOptions.dryRun) {
      // Dry runs never take the claim (they are recorded with claim NULL) and roll every chunk back.
      const claim = await insert(true);
      if (!claim) throw new Error('a dry run row cannot collide');
      return execute(job, claim, 1, slotMs, true);
    }

    for (let round = 0; round < MAX_CLAIM_ROUNDS; round++) {
      const claim = await insert(false);
      if (claim) return execute(job, claim, 1, slotMs, false);
      const existing = await repository.findClaim(job.name, slotMs);
      if (!existing) continue; // purged between our insert and read: try the insert again
      switch (existing.status) {
        case 'succeeded':
          return outcomeOf(existing, 'skipped');
        case 'failed':
          if (!runOptions.retryFailed) return outcomeOf(existing, 'failed');
          if (await repository.reclaimFailed(existing.id, existing.fence, instanceId, job.leaseMs)) {
            log.info({ job: job.name, slot: iso(slotMs) }, 'retrying a failed cron run');
            return execute(job, existing, existing.fence + 1, slotMs, false);
          }
          continue; // another call re-claimed it first: read again
        case 'running':
          if (await repository.takeOverExpired(existing.id, existing.fence, instanceId, job.leaseMs)) {
            log.warn(
              {
                job: job.name,
                slot: iso(slotMs),
                previousInstance: existing.instance,
                fence: existing.fence + 1,
              },
              'taking over a cron run whose lease expired',
            );
            return execute(job, existing, existing.fence + 1, slotMs, false);
          }
          // The lease is alive, or another call won the takeover: either way someone else is running it.
          return outcomeOf(existing, 'running');
      }
    }
    const last = await repository.findClaim(job.name, slotMs);
    if (!last) throw new Error(`cron claim for ${job.name}@${iso(slotMs)} keeps vanishing`);
    return outcomeOf(last, answerFor(last));
  }

  function findJob(name: string): Result<RegisteredJob> {
    const job = registry.get(name);
    return job ? ok(job) : err(notFound(`Cron job "${name}"`));
  }

  return {
    register,

    jobs(): RegisteredJob[] {
      return [...registry.values()];
    },

    /** Runs one job for a slot (see RunOptions); refusals (unknown job, bad slot) come back as values. */
    async run(name: string, runOptions: RunOptions = {}): Promise<Result<RunOutcome>> {
      if (isClosing) return err(shuttingDown());
      const job = findJob(name);
      if (!job.ok) return job;
      const slot = resolveSlot(job.value.expression, runOptions.slot, clock.nowMs(), options);
      if (!slot.ok) return slot;
      return ok(
        await runSlot(job.value, slot.value, {
          dryRun: runOptions.dryRun ?? false,
          retryFailed: runOptions.retryFailed ?? true,
        }),
      );
    },

    /**
     * Runs every job's latest slot, one job after another (maintenance jobs are heavy on the database; a
     * scheduler calling tick every minute lets another instance pick up a job while this one is busy).
     */
    async tick(): Promise<Result<RunOutcome[]>> {
      if (isClosing) return err(shuttingDown());
      const nowMs = clock.nowMs();
      const outcomes: RunOutcome[] = [];
      for (const job of registry.values()) {
        const slotMs = previousSlot(job.expression, nowMs);
        if (slotMs === null) continue;
        outcomes.push(await runSlot(job, slotMs, { dryRun: false, retryFailed: false }));
      }
      return ok(outcomes);
    },

    async listJobs(): Promise<JobInfo[]> {
      return Promise.all(
        [...registry.values()].map(async (job) => {
          const last = await repository.findLatestRun(job.name);
          return {
            name: job.name,
            schedule: job.schedule,
            description: job.description,
            leaseMs: job.leaseMs,
            lastRun: last ? toRunView(last) : null,
          };
        }),
      );
    },

    async listRuns(query: RunQuery = {}): Promise<Result<{ items: RunView[]; nextCursor: string | null }>> {
      const limit = query.limit ?? 50;
      if (!Number.isInteger(limit) || limit < 1 || limit > 200)
        return err(invalid('limit', 'limit must be 1-200'));
      let beforeId: number | undefined;
      if (query.cursor !== undefined) {
        const uid = parsePublicId('run', query.cursor);
        const run = uid ? await repository.findRunByUid(uid) : undefined;
        if (!run) return err(invalid('cursor', 'cursor is not a run id from a previous page'));
        beforeId = run.id;
      }
      const rows = await repository.listRuns({
        job: query.job,
        status: query.status,
        beforeId,
        limit: limit + 1,
      });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      return ok({
        items: page.map(toRunView),
        nextCursor: rows.length > limit && last ? toPublicId('run', last.uid) : null,
      });
    },

    async findRun(runId: string): Promise<RunView | null> {
      const uid = parsePublicId('run', runId);
      const run = uid ? await repository.findRunByUid(uid) : undefined;
      return run ? toRunView(run) : null;
    },

    /**
     * Stops accepting runs and aborts the running ones through their signal; each releases its lease as it
     * stops. A handler that ignores the signal past `timeoutMs` has its lease released anyway: that is safe,
     * because whoever takes the run over bumps the fence and this instance's later writes are refused.
     */
    async close(options: { timeoutMs?: number } = {}): Promise<void> {
      isClosing = true;
      const entries = [...active];
      for (const entry of entries) entry.controller.abort(new ShutdownError());
      let timer: NodeJS.Timeout | undefined;
      const isTimedOut = await Promise.race([
        Promise.all(entries.map((entry) => entry.done)).then(() => false),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(true), options.timeoutMs ?? 10_000);
        }),
      ]);
      clearTimeout(timer);
      if (!isTimedOut) return;
      for (const entry of active) {
        log.warn({ job: entry.fenced.job }, 'cron run ignored shutdown; releasing its lease');
        await repository.releaseLease(entry.fenced).catch((error: unknown) => {
          log.warn({ err: error }, 'could not release a cron lease; it will expire by itself');
        });
      }
    },
  };
}
