import { SESSION_TTL_MS } from '../accounts/index.js';
import { SYSTEM_ACTOR } from '../audit/index.js';
import type { JobDefinition } from '../cron/index.js';
import { EXPORT_LINK_TTL_MS } from '../privacy/index.js';
import { handleOf } from './fenced-chunks.js';
import type { MaintenanceDeps } from './maintenance.types.js';

export const DEFAULT_SECRET_ROTATION_MS = 30 * 86_400_000;

/**
 * How long a key keeps verifying after its successor starts signing (the last moment any instance signs
 * with it): longer than anything it signed can live — CSRF tokens live as long as their session
 * (SESSION_TTL_MS), export links EXPORT_LINK_TTL_MS — plus a day for clock skew between instances.
 */
export const SIGNING_KEY_VERIFY_MS = Math.max(SESSION_TTL_MS, EXPORT_LINK_TTL_MS) + 86_400_000;

export interface RotateSecretsResult {
  kid: string;
  /** False when the key of this period already existed (another instance, or an earlier run, added it). */
  added: boolean;
  /** When the period's key starts signing (it verifies from the moment it is added). */
  signsFrom: string | null;
  /** Older keys whose end this run scheduled, and keys past their end that it deleted. */
  retired: string[];
  deleted: string[];
  /**
   * Stored keys re-wrapped under the current FOOTFALL_SECRET (signing key ids, and the privacy module's `subject-hmac-v1`): those
   * sealed under FOOTFALL_SECRET_PREVIOUS, or stored bare before a secret was set. With a dry run, those it would.
   */
  rewrapped: string[];
  keys: {
    kid: string;
    createdAt: string;
    signsFrom: string;
    signsUntil: string | null;
    verifiesUntil: string | null;
  }[];
}

/**
 * The key id of the rotation period a slot falls in. Every instance derives the same id from the same slot,
 * and `secrets.rotate` is idempotent per id, so N instances (or a retried run) add one key per period.
 */
export function rotationKid(slotMs: number, rotationMs: number): string {
  return `r${Math.floor(slotMs / rotationMs)}`;
}

/**
 * `rotate-secrets`: once per rotation period (default 30 days; the job checks daily) adds a signing key to
 * the ring. Every instance caches the ring, so the key is published verify-only first: it signs new tokens
 * (CSRF, export links, anything signed) from SIGNING_KEY_PUBLISH_MS later, when every instance has loaded
 * it; older keys sign until that moment and keep verifying for SIGNING_KEY_VERIFY_MS after it, then are
 * retired and deleted. The subject HMAC key of the privacy module is not rotated — see
 * privacy/subject-hash.ts.
 */
export function createRotateSecretsJob(deps: MaintenanceDeps): JobDefinition<RotateSecretsResult> {
  const rotationMs = deps.options?.secretRotationMs ?? DEFAULT_SECRET_ROTATION_MS;
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return {
    name: 'rotate-secrets',
    schedule: deps.options?.schedules?.['rotate-secrets'] ?? '0 4 * * *',
    description:
      'Adds a new signing key every rotation period and retires old ones once their tokens have expired',
    async handler(ctx) {
      const kid = rotationKid(ctx.slotMs, rotationMs);
      let added = false;
      let retired: string[] = [];
      let deleted: string[] = [];
      let signsFromMs: number | null = null;
      let rewrapped: string[] = [];
      if (ctx.dryRun) {
        added = !deps.secrets.listKids().some((k) => k.kid === kid);
        rewrapped = [
          ...(await deps.secrets.rewrap({ dryRun: true })),
          ...(await deps.privacy.rewrapKeys({ dryRun: true })),
        ];
      } else {
        // Compare-and-set per key: N instances (or a retried run) re-wrap each key once.
        rewrapped = [...(await deps.secrets.rewrap()), ...(await deps.privacy.rewrapKeys())];
        if (rewrapped.length > 0) {
          await ctx.fence.commit(async (trx) => {
            await deps.audit.record(
              {
                action: 'secrets.rewrapped',
                actor: SYSTEM_ACTOR,
                organizationId: null,
                details: { rewrapped },
              },
              handleOf(trx),
            );
            return rewrapped.length;
          });
        }
        // The key ring writes through its own repository (not the fence): safe, because rotate() is
        // idempotent per kid — a run taken over and repeated adds nothing twice.
        ({ added, retired, deleted, signsFromMs } = await deps.secrets.rotate(kid, SIGNING_KEY_VERIFY_MS));
        if (added) {
          await ctx.fence.commit(async (trx) => {
            await deps.audit.record(
              {
                action: 'secrets.rotated',
                actor: SYSTEM_ACTOR,
                organizationId: null,
                details: { kid, signsFromMs, retired, deleted, verifyForMs: SIGNING_KEY_VERIFY_MS },
              },
              handleOf(trx),
            );
            return 1;
          });
        }
      }
      return {
        kid,
        added,
        signsFrom: iso(signsFromMs),
        retired,
        deleted,
        rewrapped,
        keys: deps.secrets.listKids().map((k) => ({
          kid: k.kid,
          createdAt: new Date(k.createdAt).toISOString(),
          signsFrom: new Date(k.signFromMs).toISOString(),
          signsUntil: iso(k.signUntilMs),
          verifiesUntil: iso(k.retireAtMs),
        })),
      };
    },
  };
}
