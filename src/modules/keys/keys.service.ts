import type { Clock } from '../../platform/clock.js';
import { createCachedLookup } from '../../platform/db/cached-lookup.js';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import { type Ids, parsePublicId } from '../../platform/ids.js';
import { KEY_SCOPES, type KeyScope } from '../accounts/index.js';
import type { Actor, AuditService } from '../audit/index.js';
import { normalizeOrigin, type Store } from '../stores/index.js';
import { displayPrefix, generateKey, type KeyType, parseKey } from './key-codec.js';
import { type ApiKey, createKeysRepository } from './keys.repository.js';

export type { ApiKey };

export const DEFAULT_GRACE_MS: Record<KeyType, number> = {
  publishable: 7 * 86_400_000,
  secret: 24 * 3_600_000,
};
/** Longest a key may trust its cache: a revoked key stops working everywhere within this. */
export const KEY_CACHE_MS = 30_000;
/** Keys are flagged this long before a store's maximum key age expires them. */
export const AGE_WARNING_MS = 14 * 86_400_000;

export type KeyStatus = 'active' | 'rotating' | 'expired' | 'revoked';

export function keyStatus(key: ApiKey, nowMs: number): KeyStatus {
  if (key.revokedAt !== null && key.revokedAt <= nowMs) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= nowMs) return 'expired';
  if (key.rotatedAt !== null) return 'rotating';
  return 'active';
}

export interface AuthenticatedKey {
  key: ApiKey;
  scopes: ReadonlySet<string>;
}

export type KeysService = ReturnType<typeof createKeysService>;

export function createKeysService(deps: { database: Database; clock: Clock; ids: Ids; audit: AuditService }) {
  const repo = createKeysRepository(deps.database);
  const now = () => deps.clock.nowMs();
  // Keyed by the key's hash; survives a database outage with the last known record (see createCachedLookup).
  const cache = createCachedLookup<string, ApiKey | null>({
    ttlMs: KEY_CACHE_MS,
    now,
    load: (hash) => repo.findByHash(Buffer.from(hash, 'base64')),
    what: 'The API key',
  });
  const lastTouch = new Map<number, number>();
  const scopesOf = new WeakMap<ApiKey, ReadonlySet<string>>();

  // A write key comes with every tracking call, and checking its checksum and hashing it (SHA-256) was a
  // twelfth of a single event's CPU. The hash of a well-formed key is remembered, for the few keys a process
  // sees; whether the key is known, live and unrevoked is still asked of the key cache on every call.
  const MAX_REMEMBERED_KEYS = 1024;
  const hashes = new Map<string, string>();
  function hashOfPresented(presented: unknown): string | null {
    if (typeof presented === 'string') {
      const known = hashes.get(presented);
      if (known !== undefined) return known;
    }
    const parsed = parseKey(presented);
    if (!parsed) return null;
    const hash = parsed.hash.toString('base64');
    // Bounded: a flood of made-up keys with valid checksums only makes it start over (and hash as before).
    if (hashes.size >= MAX_REMEMBERED_KEYS) hashes.clear();
    hashes.set(presented as string, hash);
    return hash;
  }

  function validateScopes(type: KeyType, scopes: string[] | undefined): string[] {
    if (type === 'publishable') {
      if (scopes?.some((s) => s !== 'events:write')) {
        throw invalid('scopes', 'Publishable keys can only write events; use a secret key for other scopes');
      }
      return ['events:write'];
    }
    if (!scopes || scopes.length === 0) throw invalid('scopes', 'A secret key needs at least one scope');
    for (const scope of scopes) {
      if (!(KEY_SCOPES as readonly string[]).includes(scope)) {
        throw invalid('scopes', `Unknown scope "${scope}"; known: ${KEY_SCOPES.join(', ')}`);
      }
    }
    return [...new Set(scopes)].sort();
  }

  function cappedExpiry(store: Store, createdAt: number, expiresAt: number | null): number | null {
    if (store.maxKeyAgeDays === null) return expiresAt;
    const cap = createdAt + store.maxKeyAgeDays * 86_400_000;
    return expiresAt === null ? cap : Math.min(cap, expiresAt);
  }

  async function insertKey(
    store: Store,
    input: {
      type: KeyType;
      name: string;
      scopes: string[];
      allowedOrigins: string[] | null;
      expiresAt: number | null;
    },
    createdBy: string | null,
    tx?: TransactionHandle,
  ): Promise<{ key: ApiKey; secret: string; uid: ReturnType<Ids['newUid']> }> {
    const secret = generateKey(input.type);
    const parsed = parseKey(secret);
    if (!parsed) throw new Error('generated key fails its own checksum');
    const uid = deps.ids.newUid();
    const id = await repo.insert(
      {
        uid,
        storeId: store.id,
        organizationId: store.organizationId,
        type: input.type,
        name: input.name,
        prefix: displayPrefix(secret),
        last4: secret.slice(-4),
        keyHash: parsed.hash,
        scopes: input.scopes,
        allowedOrigins: input.allowedOrigins,
        expiresAt: cappedExpiry(store, now(), input.expiresAt),
        createdBy,
        nowMs: now(),
      },
      tx,
    );
    const key = await repo.findById(id, tx);
    if (!key) throw new Error('key vanished after insert');
    return { key, secret, uid };
  }

  const service = {
    async create(
      store: Store,
      input: {
        type: KeyType;
        name?: string;
        scopes?: string[];
        expiresInMs?: number | null;
        allowedOrigins?: string[] | null;
      },
      actor: Actor,
    ): Promise<{ key: ApiKey; secret: string }> {
      const scopes = validateScopes(input.type, input.scopes);
      if (input.expiresInMs !== undefined && input.expiresInMs !== null && input.expiresInMs <= 0) {
        throw invalid('expiresIn', 'The expiry must be in the future');
      }
      let allowedOrigins: string[] | null = null;
      if (input.allowedOrigins && input.allowedOrigins.length > 0) {
        if (input.type !== 'publishable')
          throw invalid('allowedOrigins', 'Only publishable keys are bound to origins');
        allowedOrigins = input.allowedOrigins.map((origin, index) => {
          const normalized = normalizeOrigin(origin);
          if (!normalized) throw invalid(`allowedOrigins.${index}`, `"${origin}" is not an origin`);
          return normalized;
        });
      }
      const name = (input.name ?? `${input.type} key`).trim().slice(0, 120) || `${input.type} key`;
      const expiresAt = input.expiresInMs ? now() + input.expiresInMs : null;
      const created = await insertKey(
        store,
        { type: input.type, name, scopes, allowedOrigins, expiresAt },
        actor.id,
      );
      await deps.audit.record({
        action: 'key.created',
        actor,
        organizationId: store.organizationId,
        storeId: store.id,
        targetId: created.key.publicId,
        details: { type: input.type, scopes, expiresAt: created.key.expiresAt },
      });
      return { key: created.key, secret: created.secret };
    },

    list: (store: Store) => repo.listByStore(store.id),

    async findInStore(store: Store, publicId: string): Promise<ApiKey> {
      const uid = parsePublicId('key', publicId);
      const key = uid ? await repo.findByUid(store.id, uid) : null;
      if (!key) throw notFound('Key');
      return key;
    },

    /**
     * Issues a successor with the same type, scopes and origins. The old key keeps working for `graceMs`
     * (default 7 days publishable, 24 h secret) so deployments can switch over; `0` revokes it now.
     */
    async rotate(store: Store, key: ApiKey, graceMs: number | undefined, actor: Actor) {
      const status = keyStatus(key, now());
      if (status === 'revoked' || status === 'expired') {
        throw new AppError('conflict', `A ${status} key cannot be rotated; create a new one`);
      }
      if (key.replacedBy) throw new AppError('conflict', `This key was already rotated to ${key.replacedBy}`);
      const grace = graceMs ?? DEFAULT_GRACE_MS[key.type];
      if (grace < 0 || grace > 90 * 86_400_000) throw invalid('graceMs', 'The grace window is 0–90 days');
      const t = now();
      const result = await deps.database.transaction(async (tx) => {
        const created = await insertKey(
          store,
          {
            type: key.type,
            name: key.name,
            scopes: key.scopes,
            allowedOrigins: key.allowedOrigins,
            expiresAt: null,
          },
          actor.id,
          tx,
        );
        const oldExpiry = grace === 0 ? t : Math.min(key.expiresAt ?? Number.MAX_SAFE_INTEGER, t + grace);
        await repo.markRotated(
          key.id,
          { rotatedAt: t, expiresAt: oldExpiry, revokedAt: grace === 0 ? t : null, replacedBy: created.uid },
          tx,
        );
        await deps.audit.record(
          {
            action: 'key.rotated',
            actor,
            organizationId: store.organizationId,
            storeId: store.id,
            targetId: key.publicId,
            details: { successor: created.key.publicId, graceMs: grace },
          },
          tx,
        );
        return created;
      });
      service.forget(key);
      const old = (await repo.findById(key.id)) ?? key;
      return { key: result.key, secret: result.secret, previous: old };
    },

    async revoke(store: Store, key: ApiKey, actor: Actor): Promise<ApiKey> {
      await repo.revoke(key.id, now());
      service.forget(key);
      await deps.audit.record({
        action: 'key.revoked',
        actor,
        organizationId: store.organizationId,
        storeId: store.id,
        targetId: key.publicId,
      });
      return (await repo.findById(key.id)) ?? key;
    },

    /** Store deletion hook: every key of the store stops working in the deleting transaction. */
    async revokeAllOfStore(storeId: number, nowMs: number, tx: TransactionHandle): Promise<void> {
      await repo.revokeAllOfStore(storeId, nowMs, tx);
      cache.deleteWhere((cached) => cached?.storeId === storeId);
    },

    forget(key: ApiKey): void {
      cache.deleteWhere((cached) => cached?.id === key.id);
    },

    /**
     * Resolves a presented key to its record when it is valid now. Shape and checksum are checked before any
     * lookup; lookups are cached for at most KEY_CACHE_MS, and expiry is re-checked on every call.
     */
    async authenticate(presented: unknown): Promise<AuthenticatedKey | null> {
      const hash = hashOfPresented(presented);
      if (hash === null) return null;
      const key = await cache.get(hash);
      const t = now();
      if (!key || keyStatus(key, t) === 'revoked' || keyStatus(key, t) === 'expired') return null;
      const touched = lastTouch.get(key.id) ?? key.lastUsedAt ?? 0;
      if (t - touched > 60_000) {
        lastTouch.set(key.id, t);
        void repo.touchLastUsed(key.id, t).catch(() => undefined);
      }
      let scopes = scopesOf.get(key);
      if (!scopes) {
        scopes = new Set(key.scopes);
        scopesOf.set(key, scopes);
      }
      return { key, scopes };
    },

    toPublicView(key: ApiKey) {
      const t = now();
      return {
        id: key.publicId,
        type: key.type,
        name: key.name,
        prefix: key.prefix,
        last4: key.last4,
        scopes: key.scopes,
        allowedOrigins: key.allowedOrigins,
        status: keyStatus(key, t),
        createdAt: new Date(key.createdAt).toISOString(),
        expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
        lastUsedAt: key.lastUsedAt === null ? null : new Date(key.lastUsedAt).toISOString(),
        rotatedAt: key.rotatedAt === null ? null : new Date(key.rotatedAt).toISOString(),
        replacedBy: key.replacedBy,
        revokedAt: key.revokedAt === null ? null : new Date(key.revokedAt).toISOString(),
        nearingMaxAge: key.ageWarnedAt !== null,
      };
    },

    repository: repo,
  };
  return service;
}

export type { KeyScope, KeyType };
