import type { Clock } from '../../platform/clock.js';
import { createCachedLookup } from '../../platform/db/cached-lookup.js';
import { type Database, isUniqueViolation, type TransactionHandle } from '../../platform/db/database.js';
import { AppError, conflict } from '../../platform/errors.js';
import { type Ids, parsePublicId } from '../../platform/ids.js';
import type { Actor, AuditService } from '../audit/index.js';
import { DEFAULT_SETTINGS, type StoreSettings, validateSettings } from './store-settings.js';
import { createStoresRepository, type Store } from './stores.repository.js';

export type { Store };

/** How long a deleted store can be restored before the purge job removes it and everything it owned. */
export const STORE_RESTORE_GRACE_MS = 30 * 86_400_000;

/** What other modules must do, inside the deleting transaction, when a store is soft-deleted. */
export type StoreDeletedHook = (storeId: number, nowMs: number, tx: TransactionHandle) => Promise<void>;

export type StoresService = ReturnType<typeof createStoresService>;

export function createStoresService(deps: {
  database: Database;
  clock: Clock;
  ids: Ids;
  audit: AuditService;
}) {
  const repo = createStoresRepository(deps.database);
  const onDeleted: StoreDeletedHook[] = [];
  const now = () => deps.clock.nowMs();
  // Store settings are read on every ingested event; a short cache keeps that off the database.
  // It survives a database outage with the last known settings, so ingest keeps buffering (createCachedLookup).
  const cache = createCachedLookup<number, Store | null>({
    ttlMs: 10_000,
    now,
    load: (id) => repo.findById(id),
    what: 'The store',
  });

  const service = {
    /** Registers work that must commit with a store's deletion (the keys module revokes its keys). */
    onStoreDeleted(hook: StoreDeletedHook): void {
      onDeleted.push(hook);
    },

    async create(
      organizationId: number,
      input: Partial<StoreSettings> & { name: string },
      actor: Actor,
    ): Promise<Store> {
      const settings = { ...DEFAULT_SETTINGS, ...validateSettings(input) } as StoreSettings;
      const uid = deps.ids.newUid();
      try {
        const id = await repo.insert({ uid, organizationId, settings, nowMs: now() });
        const store = await repo.findById(id);
        if (!store) throw new Error('store vanished after insert');
        await deps.audit.record({
          action: 'store.created',
          actor,
          organizationId,
          storeId: id,
          targetId: store.publicId,
          details: { name: store.name },
        });
        return store;
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict('name', `A store named "${settings.name}" already exists`);
        throw error;
      }
    },

    async findByPublicId(publicId: string, options: { withDeleted?: boolean } = {}): Promise<Store | null> {
      const uid = parsePublicId('str', publicId);
      return uid ? repo.findByUid(uid, options) : null;
    },
    findById: (id: number, options: { withDeleted?: boolean } = {}) => repo.findById(id, options),

    /** Cached read for hot paths (ingest); at most 10 s stale. */
    getCached(id: number): Promise<Store | null> {
      return cache.get(id);
    },

    listByOrganization: (organizationId: number) => repo.listByOrganization(organizationId),
    listAll: () => repo.listAll(),

    async update(store: Store, input: Partial<StoreSettings>, actor: Actor): Promise<Store> {
      const patch = validateSettings(input);
      try {
        await repo.update(store.id, patch, now());
      } catch (error) {
        if (isUniqueViolation(error)) throw conflict('name', `A store named "${patch.name}" already exists`);
        throw error;
      }
      cache.delete(store.id);
      await deps.audit.record({
        action: 'store.updated',
        actor,
        organizationId: store.organizationId,
        storeId: store.id,
        targetId: store.publicId,
        details: { fields: Object.keys(patch) },
      });
      return (await repo.findById(store.id)) ?? { ...store, ...patch };
    },

    /** Soft-deletes the store and, in the same transaction, whatever registered hooks do (revoking its keys). */
    async softDelete(store: Store, actor: Actor): Promise<void> {
      const t = now();
      await deps.database.transaction(async (tx) => {
        await repo.softDelete(store.id, t, tx);
        for (const hook of onDeleted) await hook(store.id, t, tx);
        await deps.audit.record(
          {
            action: 'store.deleted',
            actor,
            organizationId: store.organizationId,
            storeId: store.id,
            targetId: store.publicId,
          },
          tx,
        );
      });
      cache.delete(store.id);
    },

    async restore(store: Store, actor: Actor): Promise<Store> {
      if (store.deletedAt === null) return store;
      if (store.deletedAt + STORE_RESTORE_GRACE_MS < now()) {
        throw new AppError('gone', 'The restore window of this store has passed');
      }
      try {
        await repo.restore(store.id, now());
      } catch (error) {
        if (isUniqueViolation(error))
          throw conflict('name', `Another store is now named "${store.name}"; rename it first`);
        throw error;
      }
      await deps.audit.record({
        action: 'store.restored',
        actor,
        organizationId: store.organizationId,
        storeId: store.id,
        targetId: store.publicId,
      });
      return (await repo.findById(store.id)) ?? store;
    },

    listDeletedBefore: (beforeMs: number, limit: number) => repo.listDeletedBefore(beforeMs, limit),
    hardDelete: (id: number, tx?: TransactionHandle) => repo.hardDelete(id, tx),
  };
  return service;
}
