import { randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import type { Ids } from '../../platform/ids.js';
import type { Logger } from '../../platform/log.js';
import type { Signer } from '../../platform/signing.js';
import type { AuditService } from '../audit/index.js';
import type { JobDefinition } from '../cron/index.js';
import type { PipelineMaintenanceService } from '../pipeline/index.js';
import type { StoresService } from '../stores/index.js';
import {
  createDerivedDataRegistry,
  type DerivedDataCleaner,
  type DerivedDataRegistry,
} from './derived-data.js';
import { createPrivacyRepository } from './privacy.repository.js';
import { createPrivacyService, type PrivacyService } from './privacy.service.js';
import {
  createPrivacyRequestsJob,
  type PrivacyJobOptions,
  type PrivacyJobResult,
} from './privacy-requests.job.js';
import { createSubjectHasher, privacyKeyWrapper } from './subject-hash.js';
import { createSuppressionList, SUPPRESSION_REFRESH_MS, type SuppressionList } from './suppression-list.js';

const HMAC_KEY_NAME = 'subject-hmac-v1';

export interface PrivacyModuleDeps {
  database: Database;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  audit: AuditService;
  stores: StoresService;
  /** From the pipeline: the SQL on events, orders and dead letters. */
  pipelineData: PipelineMaintenanceService;
  /** The key ring's signer (`secrets.signer`): download links are signed with purpose `export`. */
  signer: Signer;
  /** FOOTFALL_SECRET, or null: wraps the subject HMAC key at rest. */
  rootSecret: string | null;
  /** FOOTFALL_SECRET_PREVIOUS while the root secret is being rotated. */
  previousRootSecret?: string | null;
  publicUrl: string | null;
  options?: PrivacyJobOptions & { suppressionRefreshMs?: number; exportLinkTtlMs?: number };
}

export interface PrivacyModule {
  /** Loads the HMAC key (creating it on first start) and the suppression list; call once before serving. */
  load(): Promise<void>;
  /** The pipeline's suppression check: `pipeline.addSuppressionCheck(privacy.isSuppressed)`. */
  isSuppressed: SuppressionList['isSuppressed'];
  /** Where other modules (reports) register the rows they derive from events. */
  addDerivedDataCleaner(cleaner: DerivedDataCleaner): void;
  readonly derived: DerivedDataRegistry;
  readonly service: PrivacyService;
  /** The `privacy` cron job; the maintenance module registers it with the others. */
  readonly job: JobDefinition<PrivacyJobResult>;
  /** Store purge: deletes at most `limit` of the store's privacy rows per statement (0 when none is left). */
  deleteStoreChunk(storeId: number, limit: number, tx: TransactionHandle): Promise<number>;
  countStoreRows(storeId: number, tx?: TransactionHandle): Promise<number>;
  /**
   * Re-wraps the HMAC key under the current FOOTFALL_SECRET when it is sealed under the previous one (or
   * stored bare); returns the names of the keys it re-wrapped (or, with `dryRun`, would).
   */
  rewrapKeys(options?: { dryRun?: boolean }): Promise<string[]>;
}

/**
 * privacy: GDPR erasure (suppression at once, deletion by the job) and access export, the suppression list
 * the pipeline consults, the derived-data extension point, and IP policy enforcement on stored events.
 */
export function createPrivacyModule(deps: PrivacyModuleDeps): PrivacyModule {
  const repository = createPrivacyRepository(deps.database);
  const derived = createDerivedDataRegistry();
  const logger = deps.logger.child({ module: 'privacy' });
  let suppression: SuppressionList | null = null;
  let service: PrivacyService | null = null;

  const loaded = <T>(value: T | null): T => {
    if (value === null) throw new Error('privacy.load() must be called at start-up');
    return value;
  };

  const refreshMs = deps.options?.suppressionRefreshMs ?? SUPPRESSION_REFRESH_MS;
  // Deleting before every instance suppresses the person would let a late event of theirs be stored after.
  const settleMs = deps.options?.settleMs ?? 12 * refreshMs;
  if (settleMs <= refreshMs) throw new Error('privacy settleMs must be longer than suppressionRefreshMs');

  const wrapper = privacyKeyWrapper(deps.rootSecret, deps.previousRootSecret ?? null);

  const job = createPrivacyRequestsJob({
    repository,
    pipelineData: deps.pipelineData,
    derived,
    stores: deps.stores,
    clock: deps.clock,
    options: { ...deps.options, settleMs },
  });

  return {
    async load() {
      let stored = await repository.findKey(HMAC_KEY_NAME);
      if (!stored) {
        // Every instance may race here; the unique name lets exactly one key in, and all read that one.
        await repository.insertKeyIfAbsent(HMAC_KEY_NAME, wrapper.seal(randomBytes(32)), deps.clock.nowMs());
        stored = await repository.findKey(HMAC_KEY_NAME);
        if (!stored) throw new Error('the privacy HMAC key vanished after insert');
      }
      const hasher = createSubjectHasher(wrapper.open(stored).key);
      suppression = createSuppressionList({
        repository,
        hasher,
        clock: deps.clock,
        logger,
        refreshMs,
      });
      await suppression.load();
      service = createPrivacyService({
        database: deps.database,
        repository,
        clock: deps.clock,
        ids: deps.ids,
        audit: deps.audit,
        signer: deps.signer,
        hasher,
        suppression,
        publicUrl: deps.publicUrl,
        exportLinkTtlMs: deps.options?.exportLinkTtlMs,
      });
    },
    isSuppressed: (storeId, userId, anonymousId) =>
      loaded(suppression).isSuppressed(storeId, userId, anonymousId),
    addDerivedDataCleaner: (cleaner) => derived.add(cleaner),
    derived,
    get service() {
      return loaded(service);
    },
    job,
    deleteStoreChunk: (storeId, limit, tx) => repository.deleteStoreChunk(storeId, limit, tx),
    countStoreRows: (storeId, tx) => repository.countStoreRows(storeId, tx),
    async rewrapKeys(options = {}) {
      const stored = await repository.findKey(HMAC_KEY_NAME);
      if (!stored) return [];
      const { key, stale } = wrapper.open(stored);
      if (!stale) return [];
      if (options.dryRun) return [HMAC_KEY_NAME];
      return (await repository.replaceKey(HMAC_KEY_NAME, stored.material, wrapper.seal(key)))
        ? [HMAC_KEY_NAME]
        : [];
    },
  };
}
