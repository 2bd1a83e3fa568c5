import type { Generated } from 'kysely';

/** Append-only: the repository has no update and no delete except the retention purge. */
export interface AuditLogTable {
  id: Generated<number>;
  uid: Buffer;
  organization_id: number | null;
  store_id: number | null;
  actor_type: string;
  /** Public id of the actor (usr_…, key_…), or null for the system and anonymous callers. */
  actor_id: string | null;
  actor_label: string | null;
  action: string;
  target_id: string | null;
  /** Truncated client IP (/24, /48), never the raw address. */
  ip: string | null;
  details: string | null;
  created_at: number;
}

export interface AuditTables {
  audit_log: AuditLogTable;
}
