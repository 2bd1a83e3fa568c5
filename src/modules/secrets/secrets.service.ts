import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { createSigner, type KeyRing, type Signer, type SigningKey } from '../../platform/signing.js';
import { createSecretsRepository, type SigningKeyRow } from './secrets.repository.js';

/** How long an instance trusts its cached copy of the key ring before re-reading it. */
const REFRESH_MS = 60_000;

export interface SecretsService {
  readonly signer: Signer;
  /** Loads (creating the first key if the database has none) — call once at start. */
  load(): Promise<void>;
  /** Re-reads the ring when older than a minute, or when a kid is unknown. */
  refresh(): Promise<void>;
  /**
   * Adds a new signing key and schedules the old one to stop signing now and to stop verifying after
   * `verifyForMs` (longer than anything it signed lives). Idempotent per `kid`.
   */
  rotate(kid: string, verifyForMs: number): Promise<{ added: boolean; retired: string[] }>;
  listKids(): { kid: string; createdAt: number; signUntilMs: number | null; retireAtMs: number | null }[];
}

function wrapKey(rootSecret: string): Buffer {
  return createHash('sha256').update('footfall/key-wrap/v1').update(rootSecret).digest();
}

export function createSecretsService(deps: {
  database: Database;
  clock: Clock;
  rootSecret: string | null;
}): SecretsService {
  const repo = createSecretsRepository(deps.database);
  const kek = deps.rootSecret ? wrapKey(deps.rootSecret) : null;
  let rows: SigningKeyRow[] = [];
  let loadedAtMs = 0;

  const seal = (material: Buffer): { material: Buffer; is_wrapped: number } => {
    if (!kek) return { material, is_wrapped: 0 };
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', kek, iv);
    const body = Buffer.concat([cipher.update(material), cipher.final()]);
    return { material: Buffer.concat([iv, cipher.getAuthTag(), body]), is_wrapped: 1 };
  };
  const open = (row: SigningKeyRow): Buffer => {
    const material = Buffer.from(row.material);
    if (!row.is_wrapped) return material;
    if (!kek) throw new Error(`signing key ${row.kid} is wrapped but FOOTFALL_SECRET is not set`);
    const decipher = createDecipheriv('aes-256-gcm', kek, material.subarray(0, 12));
    decipher.setAuthTag(material.subarray(12, 28));
    return Buffer.concat([decipher.update(material.subarray(28)), decipher.final()]);
  };

  let keys: SigningKey[] = [];
  const ring: KeyRing = {
    current() {
      const now = deps.clock.nowMs();
      const signing = rows.filter((r) => r.sign_until_ms === null || r.sign_until_ms > now);
      const newest = signing[signing.length - 1] ?? rows[rows.length - 1];
      const key = keys.find((k) => k.kid === newest?.kid);
      if (!key) throw new Error('the signing key ring is empty: call secrets.load() at start');
      return key;
    },
    find(kid) {
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
    keys = rows.map((r) => ({ kid: r.kid, secret: open(r) }));
    loadedAtMs = deps.clock.nowMs();
  };

  const service: SecretsService = {
    signer: createSigner(ring),
    async load() {
      await read();
      if (rows.length === 0) {
        // Every instance may race here; the unique kid lets exactly one first key in.
        await repo.insertIfAbsent({
          kid: 'k1',
          ...seal(randomBytes(32)),
          created_at: deps.clock.nowMs(),
          sign_until_ms: null,
          retire_at_ms: null,
        });
        await read();
      }
    },
    async refresh() {
      if (deps.clock.nowMs() - loadedAtMs < REFRESH_MS) return;
      await read();
    },
    async rotate(kid, verifyForMs) {
      const now = deps.clock.nowMs();
      const added = await repo.insertIfAbsent({
        kid,
        ...seal(randomBytes(32)),
        created_at: now,
        sign_until_ms: null,
        retire_at_ms: null,
      });
      const retired: string[] = [];
      for (const row of rows) {
        if (row.kid !== kid && row.sign_until_ms === null) {
          await repo.scheduleRetirement(row.kid, now, now + verifyForMs);
          retired.push(row.kid);
        }
      }
      await read();
      return { added, retired };
    },
    listKids() {
      return rows.map((r) => ({
        kid: r.kid,
        createdAt: r.created_at,
        signUntilMs: r.sign_until_ms,
        retireAtMs: r.retire_at_ms,
      }));
    },
  };
  return service;
}
