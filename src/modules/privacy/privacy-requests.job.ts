import type { Transaction } from 'kysely';
import type { Clock } from '../../platform/clock.js';
import type { TransactionHandle } from '../../platform/db/database.js';
import { truncateIp } from '../../platform/net.js';
import { type JobContext, type JobDefinition, MAX_ROWS_PER_STATEMENT } from '../cron/index.js';
import type { PipelineMaintenanceService } from '../pipeline/index.js';
import type { IpPolicy, Store } from '../stores/index.js';
import type { DerivedDataRegistry, PrivacySubject, SubjectFootprint } from './derived-data.js';
import {
  adjustmentLine,
  createChunkWriter,
  deadLetterLine,
  type ExportLine,
  eventLine,
  orderLine,
} from './export-file.js';
import {
  type PrivacyRepository,
  type PrivacyRequest,
  type RequestCounts,
  ZERO_COUNTS,
} from './privacy.repository.js';
import { EXPORT_RETENTION_MS } from './privacy.service.js';
import { SUPPRESSION_REFRESH_MS } from './suppression-list.js';

export interface PrivacyJobOptions {
  /** Cron expression; default every five minutes. */
  schedule?: string;
  /**
   * How long an erasure waits before its rows are deleted: longer than any instance's suppression cache is
   * stale plus a worker batch in flight, so no event of the person can be stored after the deletion.
   */
  settleMs?: number;
  /** How long a run holds a request between chunks before another run may take it over. */
  requestLeaseMs?: number;
  /** Attempts before a request is marked failed (each claim is one). */
  maxAttempts?: number;
  exportRetentionMs?: number;
}

/** Rows read per page (events, orders, dead letters) while erasing or exporting one person. */
const PAGE = 1000;
const HOUR_MS = 3_600_000;

/** Each derived-data cleaner's erasure plan (see DerivedDataCleaner.planSubject); null once carried out. */
type DerivedPlans = Record<string, string | null>;

export interface PrivacyJobResult {
  requests: {
    id: string;
    kind: string;
    outcome: 'done' | 'failed' | 'lost' | 'would-run';
    counts: RequestCounts;
  }[];
  exportFilesDeleted: number;
  exportChunksDeleted: number;
  ipPolicies: { store: string; from: string; to: string; eventsRewritten: number; isComplete: boolean }[];
}

/** The request was claimed by another run (its lease ran out while this one was slow): stop touching it. */
class RequestLostError extends Error {
  constructor(readonly requestId: string) {
    super(`privacy request ${requestId} was taken over by another run`);
    this.name = 'RequestLostError';
  }
}

// A fence transaction is a Kysely transaction; the repositories take the opaque handle of the same object.
const handleOf = (trx: Transaction<unknown>): TransactionHandle => trx as unknown as TransactionHandle;

const total = (counts: Partial<RequestCounts>): number =>
  (counts.events ?? 0) +
  (counts.orders ?? 0) +
  (counts.orderAdjustments ?? 0) +
  (counts.deadLetters ?? 0) +
  (counts.derivedRows ?? 0);

const add = (into: RequestCounts, counts: Partial<RequestCounts>): void => {
  into.events += counts.events ?? 0;
  into.orders += counts.orders ?? 0;
  into.orderAdjustments += counts.orderAdjustments ?? 0;
  into.deadLetters += counts.deadLetters ?? 0;
  into.derivedRows += counts.derivedRows ?? 0;
};

const STRICTNESS: Record<IpPolicy, number> = { full: 0, truncate: 1, none: 2 };
const strictness = (policy: string): number => STRICTNESS[policy as IpPolicy] ?? 0;

/**
 * An event context brought in line with a stricter IP policy; null when it does not change. Contexts are
 * stored as NULL when empty, as the pipeline writes them.
 */
export function applyIpPolicyToContext(
  contextJson: string,
  policy: IpPolicy,
): { changed: true; context: string | null } | { changed: false } {
  let context: Record<string, unknown>;
  try {
    context = JSON.parse(contextJson) as Record<string, unknown>;
  } catch {
    return { changed: false };
  }
  if (typeof context !== 'object' || context === null || typeof context.ip !== 'string')
    return { changed: false };
  const ip = context.ip;
  const next = policy === 'none' ? null : policy === 'truncate' ? truncateIp(ip) : ip;
  if (next === ip) return { changed: false };
  // In place, so the rest of the context keeps its order.
  const updated: Record<string, unknown> = { ...context };
  if (next === null) delete updated.ip;
  else updated.ip = next;
  return { changed: true, context: Object.keys(updated).length === 0 ? null : JSON.stringify(updated) };
}

/**
 * The `privacy` job: carries out pending erasures and exports, deletes export files past their retention,
 * and rewrites stored IP addresses when a store tightens its IP policy. Every write is a fenced chunk; each
 * request is claimed with a lease and an attempt number, so overlapping runs never work on one request at
 * once, and a run taken over mid-way resumes from the start (deletes are idempotent; an export is rewritten).
 */
export function createPrivacyRequestsJob(deps: {
  repository: PrivacyRepository;
  pipelineData: PipelineMaintenanceService;
  derived: DerivedDataRegistry;
  stores: { listAll(): Promise<Store[]> };
  clock: Clock;
  options?: PrivacyJobOptions;
}): JobDefinition<PrivacyJobResult> {
  const { repository: repo, pipelineData, clock } = deps;
  const options = deps.options ?? {};
  const settleMs = options.settleMs ?? 12 * SUPPRESSION_REFRESH_MS;
  const leaseMs = options.requestLeaseMs ?? 5 * 60_000;
  const maxAttempts = options.maxAttempts ?? 5;
  const exportRetentionMs = options.exportRetentionMs ?? EXPORT_RETENTION_MS;
  const limit = MAX_ROWS_PER_STATEMENT;

  /** One fenced chunk of a claimed request: its work, its counts and a lease renewal, committed together. */
  async function requestChunk(
    ctx: JobContext,
    mine: { id: number; attempt: number; publicId: string },
    work: (tx: TransactionHandle) => Promise<Partial<RequestCounts>>,
    /** The derived-data plans to store with this chunk (read after `work`); omitted: unchanged. */
    plans?: () => DerivedPlans,
  ): Promise<Partial<RequestCounts>> {
    ctx.signal.throwIfAborted();
    let counts: Partial<RequestCounts> = {};
    await ctx.fence.commit(async (trx) => {
      const tx = handleOf(trx);
      counts = await work(tx);
      const t = clock.nowMs();
      const plan = plans ? JSON.stringify(plans()) : undefined;
      if (!(await repo.addProgress(mine, counts, t + leaseMs, t, tx, plan)))
        throw new RequestLostError(mine.publicId);
      return total(counts);
    });
    return counts;
  }

  /** The person's events in key order, a page at a time, checking between pages that the run goes on. */
  async function* subjectEventPages(ctx: JobContext, storeId: number, subject: PrivacySubject) {
    let afterRowId = 0;
    for (;;) {
      ctx.signal.throwIfAborted();
      const events = await pipelineData.listSubjectEvents(storeId, subject, afterRowId, PAGE);
      if (events.length > 0) yield events;
      const last = events[events.length - 1];
      if (events.length < PAGE || !last) return;
      afterRowId = last.rowId;
    }
  }

  /** The person's order ids (from their events and their orders) in key order, a page at a time. */
  async function* subjectOrderIdPages(ctx: JobContext, storeId: number, subject: PrivacySubject) {
    let afterOrderId: string | null = null;
    for (;;) {
      ctx.signal.throwIfAborted();
      const orderIds = await pipelineData.listSubjectOrderIds(storeId, subject, afterOrderId, PAGE);
      if (orderIds.length > 0) yield orderIds;
      const last = orderIds[orderIds.length - 1];
      if (orderIds.length < PAGE || last === undefined) return;
      afterOrderId = last;
    }
  }

  /**
   * Where the person's rows are, before they are deleted: each (visitor, session) once per hour of their
   * events, and their orders with placement times. Derived-data cleaners plan from it.
   */
  async function footprintOf(
    ctx: JobContext,
    storeId: number,
    subject: PrivacySubject,
  ): Promise<SubjectFootprint> {
    const seen = new Set<string>();
    const footprint: SubjectFootprint = { events: [], orders: [] };
    for await (const events of subjectEventPages(ctx, storeId, subject)) {
      for (const e of events) {
        const key = JSON.stringify([
          e.anonymousId,
          e.userId,
          e.sessionId,
          Math.floor(e.timestampMs / HOUR_MS),
        ]);
        if (seen.has(key)) continue;
        seen.add(key);
        footprint.events.push({
          timestampMs: e.timestampMs,
          anonymousId: e.anonymousId,
          userId: e.userId,
          sessionId: e.sessionId,
        });
      }
    }
    for await (const orderIds of subjectOrderIdPages(ctx, storeId, subject)) {
      for (const order of await pipelineData.listOrdersByOrderIds(storeId, orderIds))
        footprint.orders.push({ orderId: order.orderId, placedAtMs: order.placedAtMs });
    }
    return footprint;
  }

  /** Every cleaner's plan for the person, made from their raw rows (read in `tx`). */
  async function planDerived(
    storeId: number,
    subject: PrivacySubject,
    footprint: SubjectFootprint,
    tx: TransactionHandle,
  ): Promise<DerivedPlans> {
    const plans: DerivedPlans = {};
    for (const cleaner of deps.derived.list()) {
      plans[cleaner.name] = await cleaner.planSubject(storeId, subject, footprint, tx);
    }
    return plans;
  }

  async function erase(
    ctx: JobContext,
    request: PrivacyRequest,
    mine: { id: number; attempt: number; publicId: string },
    subject: PrivacySubject,
  ): Promise<void> {
    const storeId = request.storeId;
    // Derived rows are found afterwards through a plan made now, while the raw rows still say where the
    // person was; it is stored with the request before the first raw row goes, so a run that takes the
    // request over (the raw rows possibly gone) resumes from it. Read after the claim: no older attempt of
    // this request can write any more.
    const stored = (await repo.findById(mine.id))?.derivedPlan ?? null;
    let plans: DerivedPlans;
    if (stored === null) {
      const footprint = await footprintOf(ctx, storeId, subject);
      let made: DerivedPlans = {};
      await requestChunk(
        ctx,
        mine,
        async (tx) => {
          made = await planDerived(storeId, subject, footprint, tx);
          return {};
        },
        () => made,
      );
      plans = made;
    } else {
      plans = JSON.parse(stored) as DerivedPlans;
    }

    // Orders first: they are found partly through the person's events, which go next.
    let afterOrderId: string | null = null;
    for (;;) {
      const orderIds = await pipelineData.listSubjectOrderIds(storeId, subject, afterOrderId, PAGE);
      if (orderIds.length > 0) {
        await requestChunk(ctx, mine, (tx) =>
          pipelineData.deleteOrdersByOrderIds(storeId, orderIds, limit, tx),
        );
      }
      const last = orderIds[orderIds.length - 1];
      if (orderIds.length < PAGE || last === undefined) break;
      afterOrderId = last;
    }
    for (;;) {
      const counts = await requestChunk(ctx, mine, async (tx) => ({
        events: await pipelineData.deleteSubjectEvents(storeId, subject, limit, tx),
      }));
      if ((counts.events ?? 0) < limit) break;
    }
    // Dead letters are matched by payload, page by page; the scan position survives each chunk's commit.
    const scan: { afterId: number | null } = { afterId: 0 };
    while (scan.afterId !== null) {
      const from = scan.afterId;
      await requestChunk(ctx, mine, async (tx) => {
        const page = await pipelineData.deleteSubjectDeadLetters(storeId, subject, from, PAGE, tx);
        scan.afterId = page.nextAfterId;
        return { deadLetters: page.deleted };
      });
    }
    // Derived rows last: a cleaner recomputing aggregates must see the raw rows without the person.
    for (const cleaner of deps.derived.list()) {
      for (;;) {
        const plan = plans[cleaner.name];
        if (plan === null || plan === undefined) break;
        let rest: string | null = null;
        await requestChunk(
          ctx,
          mine,
          async (tx) => {
            const step = await cleaner.deleteSubject(storeId, plan, tx, { limit, countOnly: false });
            rest = step.plan;
            return { derivedRows: step.rows };
          },
          () => ({ ...plans, [cleaner.name]: rest }),
        );
        plans = { ...plans, [cleaner.name]: rest };
      }
    }
    const done = await ctx.fence.commit(async (trx) =>
      (await repo.finish(mine, null, clock.nowMs(), handleOf(trx))) ? 1 : 0,
    );
    if (done === 0) throw new RequestLostError(mine.publicId);
  }

  async function writeExport(
    ctx: JobContext,
    request: PrivacyRequest,
    mine: { id: number; attempt: number; publicId: string },
    subject: PrivacySubject,
  ): Promise<void> {
    const storeId = request.storeId;
    // A previous attempt's file is discarded: this attempt writes the whole file again.
    for (;;) {
      const deleted = await ctx.fence.commit((trx) =>
        repo.deleteChunksBeforeAttempt(mine.id, mine.attempt, limit, handleOf(trx)),
      );
      if (deleted < limit) break;
    }
    const isReset = await ctx.fence.commit(async (trx) =>
      (await repo.resetCounts(mine, handleOf(trx))) ? 1 : 0,
    );
    if (isReset === 0) throw new RequestLostError(mine.publicId);

    const writer = createChunkWriter();
    let seq = 0;
    let bytes = 0;
    let pending: RequestCounts = { ...ZERO_COUNTS };
    const store = async (data: Buffer) => {
      const counts = pending;
      pending = { ...ZERO_COUNTS };
      const chunkSeq = seq++;
      bytes += data.length;
      await requestChunk(ctx, mine, async (tx) => {
        await repo.insertChunk(
          { requestId: mine.id, attempt: mine.attempt, seq: chunkSeq, data, nowMs: clock.nowMs() },
          tx,
        );
        return counts;
      });
    };
    const write = async (line: ExportLine, counts: Partial<RequestCounts>) => {
      add(pending, counts);
      const chunk = writer.add(line);
      if (chunk) await store(chunk);
    };

    for await (const events of subjectEventPages(ctx, storeId, subject)) {
      for (const event of events) await write(eventLine(event), { events: 1 });
    }
    for await (const orderIds of subjectOrderIdPages(ctx, storeId, subject)) {
      for (const order of await pipelineData.listOrdersByOrderIds(storeId, orderIds)) {
        await write(orderLine(order), { orders: 1 });
      }
      for (const adjustment of await pipelineData.listAdjustmentsByOrderIds(storeId, orderIds)) {
        await write(adjustmentLine(adjustment), { orderAdjustments: 1 });
      }
    }
    let afterDeadLetterId: number | null = 0;
    while (afterDeadLetterId !== null) {
      ctx.signal.throwIfAborted();
      const page = await pipelineData.listSubjectDeadLetters(storeId, subject, afterDeadLetterId, PAGE);
      for (const letter of page.items) await write(deadLetterLine(letter), { deadLetters: 1 });
      afterDeadLetterId = page.nextAfterId;
    }
    const lastChunk = writer.finish(seq === 0);
    if (lastChunk) await store(lastChunk);

    const t = clock.nowMs();
    const done = await ctx.fence.commit(async (trx) =>
      (await repo.finish(mine, { bytes, expiresAt: t + exportRetentionMs }, t, handleOf(trx))) ? 1 : 0,
    );
    if (done === 0) throw new RequestLostError(mine.publicId);
  }

  /** What a dry run reports for a request: the rows it would delete or export (rolled back, like any dry run). */
  async function countFor(
    request: PrivacyRequest,
    subject: PrivacySubject,
    ctx: JobContext,
  ): Promise<RequestCounts> {
    const counts = { ...ZERO_COUNTS, ...(await pipelineData.countSubject(request.storeId, subject)) };
    let afterId: number | null = 0;
    while (afterId !== null) {
      const page = await pipelineData.listSubjectDeadLetters(request.storeId, subject, afterId, PAGE);
      counts.deadLetters += page.items.length;
      afterId = page.nextAfterId;
    }
    const footprint = request.kind === 'erasure' ? await footprintOf(ctx, request.storeId, subject) : null;
    await ctx.fence.commit(async (trx) => {
      const tx = handleOf(trx);
      if (footprint) {
        const plans = await planDerived(request.storeId, subject, footprint, tx);
        for (const cleaner of deps.derived.list()) {
          const plan = plans[cleaner.name];
          if (plan === null || plan === undefined) continue;
          counts.derivedRows += (
            await cleaner.deleteSubject(request.storeId, plan, tx, { limit, countOnly: true })
          ).rows;
        }
      }
      return total(counts);
    });
    return counts;
  }

  async function processRequest(
    ctx: JobContext,
    request: PrivacyRequest,
  ): Promise<PrivacyJobResult['requests'][number] | null> {
    const subject: PrivacySubject = {
      userId: request.pendingUserId,
      anonymousId: request.pendingAnonymousId,
    };
    const entry = (outcome: PrivacyJobResult['requests'][number]['outcome'], counts: RequestCounts) => ({
      id: request.publicId,
      kind: request.kind,
      outcome,
      counts,
    });
    if (ctx.dryRun) {
      return entry('would-run', await countFor(request, subject, ctx));
    }
    const t = clock.nowMs();
    if (request.attempt >= maxAttempts || (subject.userId === null && subject.anonymousId === null)) {
      const reason =
        request.attempt >= maxAttempts
          ? `gave up after ${request.attempt} attempts; see the cron run history for the errors`
          : 'the request has no identifiers left to act on';
      const failed = await ctx.fence.commit(async (trx) =>
        (await repo.fail(request, reason, t, handleOf(trx))) ? 1 : 0,
      );
      return failed ? entry('failed', request.counts) : null;
    }
    const claimed = await ctx.fence.commit(async (trx) =>
      (await repo.claim(request, t + leaseMs, t, handleOf(trx))) ? 1 : 0,
    );
    if (claimed === 0) return null;
    const mine = { id: request.id, attempt: request.attempt + 1, publicId: request.publicId };
    try {
      if (request.kind === 'erasure') await erase(ctx, request, mine, subject);
      else await writeExport(ctx, request, mine, subject);
    } catch (error) {
      if (error instanceof RequestLostError) {
        ctx.log.warn({ request: request.publicId }, 'privacy request taken over by another run');
        return entry('lost', request.counts);
      }
      throw error;
    }
    const finished = await repo.findById(request.id);
    return entry('done', finished?.counts ?? request.counts);
  }

  async function pruneExportFiles(ctx: JobContext): Promise<{ files: number; chunks: number }> {
    const expired = await repo.listExpiredFiles(clock.nowMs(), 100);
    let chunks = 0;
    for (const file of expired) {
      if (ctx.dryRun) {
        chunks += (await repo.listChunkIds(file.id, file.attempt)).length;
        continue;
      }
      for (;;) {
        ctx.signal.throwIfAborted();
        const deleted = await ctx.fence.commit((trx) => repo.deleteFileChunk(file.id, limit, handleOf(trx)));
        chunks += deleted;
        if (deleted === 0) break;
      }
    }
    if (ctx.dryRun && chunks > 0) await ctx.fence.commit(async () => chunks);
    return { files: expired.length, chunks };
  }

  /** Brings stored addresses in line with each store's IP policy after it was tightened. */
  async function enforceIpPolicies(ctx: JobContext): Promise<PrivacyJobResult['ipPolicies']> {
    const results: PrivacyJobResult['ipPolicies'] = [];
    for (const store of await deps.stores.listAll()) {
      ctx.signal.throwIfAborted();
      const t = clock.nowMs();
      let state = await repo.findIpPolicy(store.id);
      if (!state) {
        // First sight of the store: its events were written under its current policy by ingest.
        await ctx.fence.commit((trx) => repo.insertIpPolicy(store.id, store.ipPolicy, t, handleOf(trx)));
        continue;
      }
      const target = state.pendingPolicy ?? state.policy;
      if (strictness(store.ipPolicy) > strictness(target)) {
        // Ingest reads store settings through a cache and the buffer may hold events enriched before the
        // change: wait as long as an erasure does before fixing the range of events to rewrite.
        if (t - store.updatedAt < settleMs) continue;
        const upToId = await pipelineData.maxEventId(store.id);
        const fresh = {
          policy: state.policy,
          pendingPolicy: store.ipPolicy,
          scrubAfterId: 0,
          scrubUpToId: upToId,
        };
        await ctx.fence.commit((trx) => repo.updateIpPolicy(store.id, fresh, t, handleOf(trx)));
        state = fresh;
      } else if (state.pendingPolicy === null) {
        if (state.policy !== store.ipPolicy) {
          // Relaxed: nothing stored needs changing; only new events keep more.
          const relaxed = {
            policy: store.ipPolicy,
            pendingPolicy: null,
            scrubAfterId: null,
            scrubUpToId: null,
          };
          await ctx.fence.commit((trx) => repo.updateIpPolicy(store.id, relaxed, t, handleOf(trx)));
        }
        continue;
      }
      const pendingPolicy = state.pendingPolicy as IpPolicy;
      const upToId = state.scrubUpToId ?? 0;
      let afterId = state.scrubAfterId ?? 0;
      let rewritten = 0;
      let isComplete = false;
      if (ctx.dryRun) {
        results.push({
          store: store.publicId,
          from: state.policy,
          to: pendingPolicy,
          eventsRewritten: 0,
          isComplete,
        });
        continue;
      }
      while (!isComplete) {
        ctx.signal.throwIfAborted();
        const page = await pipelineData.listEventContextsWithIp(store.id, afterId, upToId, PAGE);
        const scannedTo = page.scannedTo;
        const isLast = page.isDone;
        rewritten += await ctx.fence.commit(async (trx) => {
          const tx = handleOf(trx);
          let changed = 0;
          for (const row of page.rows) {
            const next = applyIpPolicyToContext(row.context, pendingPolicy);
            if (next.changed) changed += await pipelineData.updateEventContext(row.id, next.context, tx);
          }
          const progress = isLast
            ? { policy: pendingPolicy, pendingPolicy: null, scrubAfterId: null, scrubUpToId: null }
            : { policy: state.policy, pendingPolicy, scrubAfterId: scannedTo, scrubUpToId: upToId };
          await repo.updateIpPolicy(store.id, progress, clock.nowMs(), tx);
          return changed;
        });
        afterId = scannedTo;
        isComplete = isLast;
      }
      results.push({
        store: store.publicId,
        from: state.policy,
        to: pendingPolicy,
        eventsRewritten: rewritten,
        isComplete,
      });
    }
    return results;
  }

  return {
    name: 'privacy',
    schedule: options.schedule ?? '*/5 * * * *',
    description:
      'Carries out erasure and export requests, deletes export files past retention, applies tightened IP policies to stored events',
    async handler(ctx) {
      const pruned = await pruneExportFiles(ctx);
      const ipPolicies = await enforceIpPolicies(ctx);
      const requests: PrivacyJobResult['requests'] = [];
      let afterId = 0;
      for (;;) {
        ctx.signal.throwIfAborted();
        const t = clock.nowMs();
        const due = await repo.listDue(t, t - settleMs, 20, afterId);
        for (const request of due) {
          const outcome = await processRequest(ctx, request);
          if (outcome) requests.push(outcome);
        }
        const last = due[due.length - 1];
        if (due.length < 20 || !last) break;
        afterId = last.id;
      }
      // The run history stores at most ~60 KB of result: a long backlog is summarised by its first entries.
      return {
        requests: requests.slice(0, 200),
        exportFilesDeleted: pruned.files,
        exportChunksDeleted: pruned.chunks,
        ipPolicies: ipPolicies.slice(0, 100),
      };
    },
  };
}
