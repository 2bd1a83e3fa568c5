import { randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { createKeyWrapper } from '../../platform/key-wrap.js';
import { createSigner, type KeyRing, type Signer, type SigningKey } from '../../platform/signing.js';
import { createSecretsRepository, type SigningKeyRow } from './secrets.repository.js';

/**
 * How long an instance trusts its cached copy of the key ring: it re-reads the ring at least this often
 * (a timer, and on use when the copy is older), so a key inserted at T is known everywhere by T + this.
 */
export const SIGNING_KEY_REFRESH_MS = 60_000;

/**
 * How long a new key only verifies before it signs: several cache lifetimes, so every instance has loaded it
 * (and the end of its predecessor's signing) before any token signed with it can reach them.
 */
export const SIGNING_KEY_PUBLISH_MS = 5 * SIGNING_KEY_REFRESH_MS;

export interface SecretsService {
  readonly signer: Signer;
  /**
   * Loads (creating the first key if the database has none) and starts re-reading the ring every
   * SIGNING_KEY_REFRESH_MS — call once at start.
   */
  load(): Promise<void>;
  /** Re-reads the ring when the cached copy is older than SIGNING_KEY_REFRESH_MS. */
  refresh(): Promise<void>;
  /** Stops the periodic re-read (shutdown, tests). */
  stop(): void;
  /**
   * Rotation, safe across instances that cache the ring: adds key `kid` verify-only, signing from
   * SIGNING_KEY_PUBLISH_MS from now; older keys sign until then and verify until `verifyForMs` after it
   * (longer than anything they signed lives); keys past that are deleted. Idempotent per `kid`.
   */
  rotate(
    kid: string,
    verifyForMs: number,
  ): Promise<{ added: boolean; signsFromMs: number; retired: string[]; deleted: string[] }>;
  /**
   * Re-wraps, under the current FOOTFALL_SECRET, every stored key sealed under FOOTFALL_SECRET_PREVIOUS (or
   * stored bare before a secret was set); returns their kids. With `dryRun`, only names them. Safe on N
   * instances: each row is replaced only if it still holds what this instance read.
   */
  rewrap(options?: { dryRun?: boolean }): Promise<string[]>;
  listKids(): {
    kid: string;
    createdAt: number;
    signFromMs: number;
    signUntilMs: number | null;
    retireAtMs: number | null;
  }[];
}

export function createSecretsService(deps: {
  database: Database;
  clock: Clock;
  rootSecret: string | null;
  /** FOOTFALL_SECRET_PREVIOUS while the root secret is being rotated: keys sealed under it still open. */
  previousRootSecret?: string | null;
  /** Re-read the ring on a (real-time, unref'd) timer; default true. */
  refreshTimer?: boolean;
}): SecretsService {
  const repo = createSecretsRepository(deps.database);
  const wrapper = createKeyWrapper({
    purpose: 'footfall/key-wrap/v1',
    what: 'a signing key',
    rootSecret: deps.rootSecret,
    previousRootSecret: deps.previousRootSecret ?? null,
  });
  let rows: SigningKeyRow[] = [];
  let loadedAtMs = 0;

  const seal = (material: Buffer): { material: Buffer; is_wrapped: number } => {
    const sealed = wrapper.seal(material);
    return { material: sealed.material, is_wrapped: sealed.isWrapped ? 1 : 0 };
  };
  const open = (row: SigningKeyRow) =>
    wrapper.open({ material: Buffer.from(row.material), isWrapped: Boolean(row.is_wrapped) });

  let keys: SigningKey[] = [];
  const signsFrom = (row: SigningKeyRow): number => Number(row.sign_from_ms ?? row.created_at);
  /** A re-read when the cached copy is older than the refresh interval; never blocks the caller. */
  const refreshIfStale = () => {
    if (deps.clock.nowMs() - loadedAtMs >= SIGNING_KEY_REFRESH_MS)
      void service.refresh().catch(() => undefined);
  };
  const ring: KeyRing = {
    current() {
      refreshIfStale();
      const now = deps.clock.nowMs();
      const started = rows.filter((r) => signsFrom(r) <= now);
      const signing = started.filter((r) => r.sign_until_ms === null || r.sign_until_ms > now);
      // The newest key that has started signing; a key still being published is never used to sign.
      const newest = signing[signing.length - 1] ?? started[started.length - 1] ?? rows[0];
      const key = keys.find((k) => k.kid === newest?.kid);
      if (!key) throw new Error('the signing key ring is empty: call secrets.load() at start');
      return key;
    },
    find(kid) {
      refreshIfStale();
      const now = deps.clock.nowMs();
      const row = rows.find((r) => r.kid === kid);
      if (!row || (row.retire_at_ms !== null && row.retire_at_ms <= now)) {
        if (now - loadedAtMs > 5_000) void service.refresh().catch(() => undefined);
        return null;
      }
      return keys.find((k) => k.kid === kid) ?? null;
    },
  };

  const read = async () => {
    rows = await repo.listUsable(deps.clock.nowMs());
    keys = rows.map((r) => ({ kid: r.kid, secret: open(r).key }));
    loadedAtMs = deps.clock.nowMs();
  };
  let reading: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;

  const service: SecretsService = {
    signer: createSigner(ring),
    async load() {
      await read();
      if (rows.length === 0) {
        // Every instance may race here; the unique kid lets exactly one first key in.
        // The first key signs at once: nobody holds a token of any other key yet.
        await repo.insertIfAbsent({
          kid: 'k1',
          ...seal(randomBytes(32)),
          created_at: deps.clock.nowMs(),
          sign_from_ms: null,
          sign_until_ms: null,
          retire_at_ms: null,
        });
        await read();
      }
      if (deps.refreshTimer !== false && timer === null) {
        // An idle instance must not keep a copy older than the publish window either.
        timer = setInterval(() => {
          void read().catch(() => undefined);
        }, SIGNING_KEY_REFRESH_MS);
        timer.unref();
      }
    },
    async refresh() {
      if (deps.clock.nowMs() - loadedAtMs < SIGNING_KEY_REFRESH_MS) return;
      // One read at a time however many callers find the copy stale.
      reading ??= read().finally(() => {
        reading = null;
      });
      await reading;
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
    async rotate(kid, verifyForMs) {
      const now = deps.clock.nowMs();
      const added = await repo.insertIfAbsent({
        kid,
        ...seal(randomBytes(32)),
        created_at: now,
        sign_from_ms: now + SIGNING_KEY_PUBLISH_MS,
        sign_until_ms: null,
        retire_at_ms: null,
      });
      // Whoever inserted the key, its times are the ones in the database: every instance and every retry
      // schedules the older keys the same way.
      const successor = await repo.findByKid(kid);
      if (!successor) throw new Error(`signing key ${kid} vanished after insert`);
      const signsFromMs = signsFrom(successor);
      const retired = await repo.scheduleRetirementBefore(
        successor.id,
        signsFromMs,
        signsFromMs + verifyForMs,
      );
      const deleted = await repo.deleteRetiredBefore(now);
      await read();
      return { added, signsFromMs, retired, deleted };
    },
    async rewrap(options = {}) {
      const stale = (await repo.listAll()).filter((row) => open(row).stale);
      if (options.dryRun) return stale.map((row) => row.kid);
      const done: string[] = [];
      for (const row of stale) {
        const replaced = await repo.replaceMaterial(row.kid, Buffer.from(row.material), seal(open(row).key));
        if (replaced) done.push(row.kid);
      }
      if (done.length > 0) await read();
      return done;
    },
    listKids() {
      return rows.map((r) => ({
        kid: r.kid,
        createdAt: r.created_at,
        signFromMs: signsFrom(r),
        signUntilMs: r.sign_until_ms,
        retireAtMs: r.retire_at_ms,
      }));
    },
  };
  return service;
}
