import type { Clock } from '../../platform/clock.js';
import type { Database, TransactionHandle } from '../../platform/db/database.js';
import { type Ids, type PublicId, parsePublicId, toPublicId } from '../../platform/ids.js';
import type { AuditTables } from './audit.tables.js';

export type AuditAction =
  | 'auth.login'
  | 'auth.login_failed'
  | 'auth.login_throttled'
  | 'auth.logout'
  | 'user.created'
  | 'user.password_changed'
  | 'org.created'
  | 'org.updated'
  | 'member.added'
  | 'member.role_changed'
  | 'member.removed'
  | 'store.created'
  | 'store.updated'
  | 'store.deleted'
  | 'store.restored'
  | 'key.created'
  | 'key.rotated'
  | 'key.revoked'
  | 'key.expired'
  | 'key.age_warning'
  | 'cron.token_created'
  | 'cron.token_rotated'
  | 'cron.token_revoked'
  | 'privacy.erasure_requested'
  | 'privacy.export_requested'
  | 'deadletter.replayed'
  | 'secrets.rotated'
  | 'secrets.rewrapped';

export interface Actor {
  type: 'user' | 'key' | 'system' | 'anonymous';
  id: string | null;
  label: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, label: 'footfall' };

export interface AuditEntry {
  action: AuditAction;
  actor: Actor;
  organizationId: number | null;
  storeId?: number | null;
  targetId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditRecord {
  id: PublicId<'aud'>;
  action: string;
  actorType: string;
  actorId: string | null;
  actorLabel: string | null;
  targetId: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
  createdAt: number;
}

export interface AuditService {
  /** Appends one entry; pass `tx` to commit it with the change it describes. */
  record(entry: AuditEntry, tx?: TransactionHandle): Promise<void>;
  list(
    organizationId: number,
    options: { limit: number; beforeId?: PublicId<'aud'> | null; action?: string },
  ): Promise<{ items: AuditRecord[]; nextCursor: string | null }>;
}

export function createAuditService(deps: { database: Database; clock: Clock; ids: Ids }): AuditService {
  const db = (tx?: TransactionHandle) => deps.database.typed<AuditTables>(tx);
  return {
    async record(entry, tx) {
      await db(tx)
        .insertInto('audit_log')
        .values({
          uid: deps.ids.newUid(),
          organization_id: entry.organizationId,
          store_id: entry.storeId ?? null,
          actor_type: entry.actor.type,
          actor_id: entry.actor.id,
          actor_label: entry.actor.label?.slice(0, 254) ?? null,
          action: entry.action,
          target_id: entry.targetId ?? null,
          ip: entry.ip ?? null,
          details: entry.details ? JSON.stringify(entry.details) : null,
          created_at: deps.clock.nowMs(),
        })
        .execute();
    },
    async list(organizationId, options) {
      let query = db()
        .selectFrom('audit_log')
        .selectAll()
        .where('organization_id', '=', organizationId)
        .orderBy('id', 'desc')
        .limit(options.limit + 1);
      if (options.action) query = query.where('action', '=', options.action);
      if (options.beforeId) {
        const uid = parsePublicId('aud', options.beforeId);
        if (uid) {
          const anchor = await db()
            .selectFrom('audit_log')
            .select('id')
            .where('uid', '=', uid)
            .executeTakeFirst();
          if (anchor) query = query.where('id', '<', anchor.id);
        }
      }
      const rows = await query.execute();
      const page = rows.slice(0, options.limit);
      const items = page.map((row) => ({
        id: toPublicId('aud', row.uid),
        action: row.action,
        actorType: row.actor_type,
        actorId: row.actor_id,
        actorLabel: row.actor_label,
        targetId: row.target_id,
        ip: row.ip,
        details: row.details ? (JSON.parse(row.details) as Record<string, unknown>) : null,
        createdAt: row.created_at,
      }));
      const last = items[items.length - 1];
      return { items, nextCursor: rows.length > options.limit && last ? last.id : null };
    },
  };
}
