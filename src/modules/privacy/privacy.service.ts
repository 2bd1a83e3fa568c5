import type { Clock } from '../../platform/clock.js';
import type { Database } from '../../platform/db/database.js';
import { AppError, invalid, notFound } from '../../platform/errors.js';
import { type Ids, type PublicId, parsePublicId, toPublicId } from '../../platform/ids.js';
import type { Signer } from '../../platform/signing.js';
import type { Actor, AuditService } from '../audit/index.js';
import type { Store } from '../stores/index.js';
import type { PrivacyRepository, PrivacyRequest, RequestCounts } from './privacy.repository.js';
import type { PrivacyRequestKind, PrivacyRequestStatus } from './privacy.tables.js';
import type { SubjectHasher } from './subject-hash.js';
import type { SuppressionList } from './suppression-list.js';

/** How long a download link works; each read of the request issues a fresh one. */
export const EXPORT_LINK_TTL_MS = 24 * 3_600_000;
/** How long an export file is kept after it is written. */
export const EXPORT_RETENTION_MS = 7 * 86_400_000;
/** Identifiers longer than this are refused: events cannot carry them (ingest caps them well below). */
const MAX_IDENTIFIER_LENGTH = 1024;

export interface SubjectInput {
  userId?: string;
  anonymousId?: string;
}

/** A request as the API shows it: never the identifiers, never a private id. */
export interface PrivacyRequestView {
  id: PublicId<'prv'>;
  kind: PrivacyRequestKind;
  status: PrivacyRequestStatus;
  identifiers: ('userId' | 'anonymousId')[];
  requestedBy: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** Erasure: rows deleted. Export: records written to the file. */
  counts: RequestCounts;
  error: string | null;
  /** Export only (null otherwise, and until the file is ready or after it was deleted). */
  file: { bytes: number; expiresAt: string; downloadUrl: string; downloadUrlExpiresAt: string } | null;
}

export interface ExportDownload {
  fileName: string;
  bytes: number;
  chunks: AsyncIterable<Buffer>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function identifier(field: 'userId' | 'anonymousId', value: string | undefined): string | null {
  if (value === undefined) return null;
  if (value.length === 0) throw invalid(field, `${field} must not be empty`);
  if (value.length > MAX_IDENTIFIER_LENGTH) {
    throw invalid(field, `${field} is longer than ${MAX_IDENTIFIER_LENGTH} characters`);
  }
  return value;
}

export type PrivacyService = ReturnType<typeof createPrivacyService>;

/** Erasure and export requests: taking them (and suppressing at once), showing receipts, serving exports. */
export function createPrivacyService(deps: {
  database: Database;
  repository: PrivacyRepository;
  clock: Clock;
  ids: Ids;
  audit: AuditService;
  signer: Signer;
  hasher: SubjectHasher;
  suppression: SuppressionList;
  /** Absolute base of download links (PUBLIC_URL); links are relative without it. */
  publicUrl: string | null;
  exportLinkTtlMs?: number;
}) {
  const { repository: repo } = deps;
  const linkTtlMs = deps.exportLinkTtlMs ?? EXPORT_LINK_TTL_MS;
  const now = () => deps.clock.nowMs();

  const linkData = (publicId: string, expiresMs: number) => `${publicId}.${expiresMs}`;

  function fileOf(request: PrivacyRequest): PrivacyRequestView['file'] {
    const t = now();
    if (request.kind !== 'export' || request.status !== 'done') return null;
    if (request.fileAttempt === null || request.fileExpiresAt === null || request.fileExpiresAt <= t)
      return null;
    const expiresMs = Math.min(t + linkTtlMs, request.fileExpiresAt);
    const signature = deps.signer.sign('export', linkData(request.publicId, expiresMs));
    const path = `/api/v1/privacy/exports/${request.publicId}/file?expires=${expiresMs}&signature=${encodeURIComponent(signature)}`;
    return {
      bytes: request.fileBytes ?? 0,
      expiresAt: new Date(request.fileExpiresAt).toISOString(),
      downloadUrl: `${deps.publicUrl ?? ''}${path}`,
      downloadUrlExpiresAt: new Date(expiresMs).toISOString(),
    };
  }

  function toView(request: PrivacyRequest): PrivacyRequestView {
    return {
      id: request.publicId,
      kind: request.kind,
      status: request.status,
      identifiers: [
        ...(request.hasUserId ? (['userId'] as const) : []),
        ...(request.hasAnonymousId ? (['anonymousId'] as const) : []),
      ],
      requestedBy: request.requestedBy,
      createdAt: new Date(request.createdAt).toISOString(),
      startedAt: iso(request.startedAt),
      finishedAt: iso(request.finishedAt),
      counts: request.counts,
      error: request.error,
      file: fileOf(request),
    };
  }

  async function create(
    store: Store,
    kind: PrivacyRequestKind,
    input: SubjectInput,
    actor: Actor,
  ): Promise<PrivacyRequestView> {
    const userId = identifier('userId', input.userId);
    const anonymousId = identifier('anonymousId', input.anonymousId);
    if (userId === null && anonymousId === null) {
      throw invalid('userId', 'Name the person with a userId, an anonymousId, or both');
    }
    const userIdHash = userId === null ? null : deps.hasher.hash(store.id, 'user', userId);
    const anonymousIdHash =
      anonymousId === null ? null : deps.hasher.hash(store.id, 'anonymous', anonymousId);
    const uid = deps.ids.newUid();
    const publicId = toPublicId('prv', uid);
    const t = now();
    const id = await deps.database.transaction(async (tx) => {
      const requestId = await repo.insertRequest(
        {
          uid,
          storeId: store.id,
          kind,
          userIdHash,
          anonymousIdHash,
          userId,
          anonymousId,
          requestedBy: actor.id,
          nowMs: t,
        },
        tx,
      );
      if (kind === 'erasure') {
        // Suppression starts with the request, in its transaction: no instance can see one without the other.
        if (userIdHash) {
          await repo.insertSuppression(
            { storeId: store.id, kind: 'user', hash: userIdHash, requestId, nowMs: t },
            tx,
          );
        }
        if (anonymousIdHash) {
          await repo.insertSuppression(
            { storeId: store.id, kind: 'anonymous', hash: anonymousIdHash, requestId, nowMs: t },
            tx,
          );
        }
      }
      await deps.audit.record(
        {
          action: kind === 'erasure' ? 'privacy.erasure_requested' : 'privacy.export_requested',
          actor,
          organizationId: store.organizationId,
          storeId: store.id,
          targetId: publicId,
          // Which identifiers, never their values: the audit log must not undo the erasure.
          details: { identifiers: [...(userId ? ['userId'] : []), ...(anonymousId ? ['anonymousId'] : [])] },
        },
        tx,
      );
      return requestId;
    });
    // This instance stops storing the person's events now; the others within SUPPRESSION_REFRESH_MS.
    if (userIdHash) deps.suppression.remember(store.id, userIdHash);
    if (anonymousIdHash) deps.suppression.remember(store.id, anonymousIdHash);
    const request = await repo.findById(id);
    if (!request) throw new Error('privacy request vanished after insert');
    return toView(request);
  }

  return {
    toView,

    /** Art. 17: suppresses the person's events at once; the privacy job deletes what is stored. */
    requestErasure: (store: Store, input: SubjectInput, actor: Actor) =>
      create(store, 'erasure', input, actor),

    /** Art. 15: the privacy job writes every stored event and order of the person to an NDJSON.gz file. */
    requestExport: (store: Store, input: SubjectInput, actor: Actor) => create(store, 'export', input, actor),

    async list(
      storeId: number,
      kind: PrivacyRequestKind,
      options: { limit: number; cursor?: string },
    ): Promise<{ items: PrivacyRequestView[]; nextCursor: string | null }> {
      let beforeId: number | null = null;
      if (options.cursor !== undefined) {
        const uid = parsePublicId('prv', options.cursor);
        const anchor = uid ? await repo.findByUid(uid) : null;
        if (!anchor || anchor.storeId !== storeId || anchor.kind !== kind) {
          throw invalid('cursor', 'The cursor is not valid here');
        }
        beforeId = anchor.id;
      }
      const page = await repo.list(storeId, kind, { limit: options.limit, beforeId });
      const last = page.records[page.records.length - 1];
      return {
        items: page.records.map(toView),
        nextCursor: page.hasMore && last ? last.publicId : null,
      };
    },

    async find(storeId: number, kind: PrivacyRequestKind, publicId: string): Promise<PrivacyRequestView> {
      const uid = parsePublicId('prv', publicId);
      const request = uid ? await repo.findByUid(uid) : null;
      // Another store's request is as absent as a missing one.
      if (!request || request.storeId !== storeId || request.kind !== kind) {
        throw notFound(kind === 'erasure' ? 'Erasure request' : 'Export request');
      }
      return toView(request);
    },

    /**
     * The file behind a signed download link. The link is the capability (it can be handed to the person
     * the data is about, who has no account): the signature is checked before anything is looked up.
     */
    async openDownload(publicId: string, expiresText: string, signature: string): Promise<ExportDownload> {
      const expiresMs = /^\d{1,15}$/.test(expiresText) ? Number(expiresText) : Number.NaN;
      if (
        !Number.isSafeInteger(expiresMs) ||
        !deps.signer.verify('export', linkData(publicId, expiresMs), signature)
      ) {
        throw new AppError('forbidden', 'This download link is not valid');
      }
      if (expiresMs <= now())
        throw new AppError('gone', 'This download link has expired; read the export again');
      const uid = parsePublicId('prv', publicId);
      const request = uid ? await repo.findByUid(uid) : null;
      if (request?.kind !== 'export' || request.status !== 'done') throw notFound('Export');
      const attempt = request.fileAttempt;
      if (attempt === null || request.fileExpiresAt === null || request.fileExpiresAt <= now()) {
        throw new AppError(
          'gone',
          'The export file was deleted at the end of its retention; request a new export',
        );
      }
      const chunkIds = await repo.listChunkIds(request.id, attempt);
      return {
        fileName: `footfall-export-${request.publicId}.ndjson.gz`,
        bytes: request.fileBytes ?? 0,
        // One chunk in memory at a time, however large the file.
        chunks: (async function* () {
          for (const id of chunkIds) {
            const data = await repo.readChunk(id);
            if (!data) throw new Error(`export chunk ${id} vanished`);
            yield data;
          }
        })(),
      };
    },
  };
}
