import type { Clock } from '../../platform/clock.js';
import { AppError, conflict, err, invalid, notFound, ok, type Result } from '../../platform/errors.js';
import { type Ids, parsePublicId, toPublicId } from '../../platform/ids.js';
import type { Logger } from '../../platform/log.js';
import type { CronRepository, TokenRecord } from './cron.repository.js';
import type { CreatedToken, TokenView } from './cron.types.js';
import {
  displayPrefixOf,
  generateCronToken,
  hashCronToken,
  isSameHash,
  isWellFormedCronToken,
} from './cron-token.js';

export type CronTokenService = ReturnType<typeof createCronTokenService>;

/** `last_used_at` is written at most this often per token. */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_NAME_LENGTH = 100;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function toView(token: TokenRecord): TokenView {
  return {
    id: toPublicId('crt', token.uid),
    name: token.name,
    prefix: token.prefix,
    createdAt: new Date(token.createdAt).toISOString(),
    expiresAt: iso(token.expiresAt),
    revokedAt: iso(token.revokedAt),
    lastUsedAt: iso(token.lastUsedAt),
  };
}

/**
 * Every unusable token is a 401 `invalid_credentials`. The detail tells a caller only what it can see itself
 * (the token's shape) or something about a token it holds (expired, revoked), never whether another exists.
 */
const refused = (detail: string) => new AppError('invalid_credentials', detail);

export function createCronTokenService(deps: {
  repository: CronRepository;
  clock: Clock;
  ids: Ids;
  logger: Logger;
  defaultGraceMs: number;
}) {
  const { repository, clock, ids } = deps;
  const log = deps.logger.child({ module: 'cron' });

  async function findByPublicId(id: string): Promise<TokenRecord | undefined> {
    const uid = parsePublicId('crt', id);
    return uid ? repository.findTokenByUid(uid) : undefined;
  }

  function newToken(name: string, expiresAt: number | null) {
    const token = generateCronToken();
    const uid = ids.newUid();
    return {
      token,
      uid,
      row: { uid, name, tokenHash: hashCronToken(token), prefix: displayPrefixOf(token), expiresAt },
    };
  }

  return {
    async createToken(input: { name: string; expiresInMs?: number }): Promise<Result<CreatedToken>> {
      const name = input.name.trim();
      if (name === '' || name.length > MAX_NAME_LENGTH) {
        return err(invalid('name', `name must be 1-${MAX_NAME_LENGTH} characters`));
      }
      if (
        input.expiresInMs !== undefined &&
        (!Number.isSafeInteger(input.expiresInMs) || input.expiresInMs <= 0)
      ) {
        return err(invalid('expiresInMs', 'expiresInMs must be a positive number of milliseconds'));
      }
      const nowMs = clock.nowMs();
      const created = newToken(name, input.expiresInMs === undefined ? null : nowMs + input.expiresInMs);
      await repository.insertToken(created.row, nowMs);
      log.info({ tokenId: toPublicId('crt', created.uid), name }, 'cron token created');
      return ok({ id: toPublicId('crt', created.uid), token: created.token });
    },

    async listTokens(): Promise<TokenView[]> {
      return (await repository.listTokens()).map(toView);
    },

    /**
     * Issues a replacement; the old token keeps working for `graceMs` (so schedulers can be updated without a
     * gap) and is refused after. The replacement keeps the old token's lifetime length, if it had one.
     */
    async rotateToken(id: string, graceMs: number = deps.defaultGraceMs): Promise<Result<CreatedToken>> {
      if (!Number.isSafeInteger(graceMs) || graceMs < 0)
        return err(invalid('graceMs', 'graceMs must be ≥ 0'));
      const old = await findByPublicId(id);
      if (!old || old.revokedAt !== null) return err(notFound('Cron token'));
      const nowMs = clock.nowMs();
      if (old.expiresAt !== null && old.expiresAt <= nowMs) return err(notFound('Cron token'));
      const lifetimeMs = old.expiresAt === null ? null : old.expiresAt - old.createdAt;
      const created = newToken(old.name, lifetimeMs === null ? null : nowMs + lifetimeMs);
      if (!(await repository.rotateToken(old.id, created.row, nowMs + graceMs, nowMs))) {
        return err(conflict('id', 'This token was already rotated or revoked'));
      }
      log.info({ tokenId: id, replacedBy: toPublicId('crt', created.uid), graceMs }, 'cron token rotated');
      return ok({ id: toPublicId('crt', created.uid), token: created.token });
    },

    async revokeToken(id: string): Promise<Result<void>> {
      const token = await findByPublicId(id);
      if (!token) return err(notFound('Cron token'));
      await repository.revokeToken(token.id, clock.nowMs());
      log.info({ tokenId: id }, 'cron token revoked');
      return ok(undefined);
    },

    /**
     * Checks an `Authorization` header. Anything but a live cron token — no header, another scheme, a user or
     * store key (`ff_sk_…`), a bad checksum, an unknown, expired, rotated-out or revoked token — is refused.
     * The lookup is by SHA-256; the stored and computed digests are then compared in constant time.
     */
    async authenticate(authorization: string | undefined): Promise<Result<{ tokenId: string }>> {
      if (authorization === undefined || authorization.trim() === '') {
        return err(new AppError('unauthenticated', 'Send a cron token: Authorization: Bearer ff_cron_…'));
      }
      const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
      const token = match?.[1];
      if (token === undefined) return err(refused('Use the Bearer scheme with a cron token'));
      if (!isWellFormedCronToken(token)) return err(refused('This is not a cron token'));
      const hash = hashCronToken(token);
      const record = await repository.findTokenByHash(hash);
      if (!record || !isSameHash(record.tokenHash, hash)) return err(refused('The cron token is not valid'));
      const nowMs = clock.nowMs();
      if (record.revokedAt !== null) return err(refused('The cron token was revoked'));
      if (record.expiresAt !== null && record.expiresAt <= nowMs)
        return err(refused('The cron token has expired'));
      await repository.touchToken(record.id, nowMs, TOUCH_INTERVAL_MS);
      return ok({ tokenId: toPublicId('crt', record.uid) });
    },
  };
}
