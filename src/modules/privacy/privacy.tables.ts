import type { Generated } from 'kysely';

export type PrivacyRequestKind = 'erasure' | 'export';
export type PrivacyRequestStatus = 'pending' | 'running' | 'done' | 'failed';

/**
 * One erasure (GDPR Art. 17) or access export (Art. 15) request and, once done, its receipt. The subject's
 * identifiers are kept in plain text only while the request is pending or running (the job must find the
 * rows); finishing clears them and leaves only their HMACs.
 */
export interface PrivacyRequestsTable {
  id: Generated<number>;
  uid: Buffer;
  store_id: number;
  kind: PrivacyRequestKind;
  status: PrivacyRequestStatus;
  /** HMAC-SHA256 of the identifiers (see subject-hash.ts); null when the request named no such identifier. */
  user_id_hash: Buffer | null;
  anonymous_id_hash: Buffer | null;
  /** The identifiers themselves, until the request finishes. */
  pending_user_id: string | null;
  pending_anonymous_id: string | null;
  /** Bumped by each claim; every later write checks it, so a run that lost the request changes nothing. */
  attempt: Generated<number>;
  /** A run working on the request holds it until then (epoch ms); renewed with every chunk. */
  lease_until_ms: number | null;
  /** Rows deleted (erasure) or written to the file (export); added to chunk by chunk. */
  events_count: Generated<number>;
  orders_count: Generated<number>;
  order_adjustments_count: Generated<number>;
  dead_letters_count: Generated<number>;
  derived_count: Generated<number>;
  /** Erasure: JSON `{ [cleaner]: plan | null }` of the derived-data cleaners (see derived-data.ts). */
  derived_plan: string | null;
  /** Export: which attempt's chunks form the file, its size, and when the file is deleted. */
  file_attempt: number | null;
  file_bytes: number | null;
  file_expires_at: number | null;
  error: string | null;
  /** Public id of who asked (`usr_…`, `key_…`). */
  requested_by: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

/**
 * The suppression list: HMACs of erased identifiers, per store. Ingest and worker drop events that match.
 * Rows are never deleted while their store exists: an erased person stays erased.
 */
export interface PrivacySuppressionsTable {
  id: Generated<number>;
  store_id: number;
  kind: 'user' | 'anonymous';
  subject_hash: Buffer;
  request_id: number;
  created_at: number;
}

/**
 * An export file, stored as consecutive gzip members (a valid .gz when concatenated) in the database: with N
 * stateless instances, a file on one instance's disk would be missing on the others.
 */
export interface PrivacyExportChunksTable {
  id: Generated<number>;
  request_id: number;
  attempt: Generated<number>;
  seq: number;
  data: Buffer;
  created_at: number;
}

/** The server-held HMAC key for subject hashes (one row), wrapped under FOOTFALL_SECRET when one is set. */
export interface PrivacyKeysTable {
  id: Generated<number>;
  name: string;
  material: Buffer;
  is_wrapped: number;
  created_at: number;
}

/**
 * The IP policy each store's stored events were last brought in line with. When a store tightens its policy
 * (full → truncate → none), the privacy job rewrites the addresses already stored, then records the policy.
 */
export interface PrivacyIpPoliciesTable {
  store_id: number;
  policy: string;
  /** While a rewrite is under way: the policy being applied and how far (event row id) it got, up to which id. */
  pending_policy: string | null;
  scrub_after_id: number | null;
  scrub_up_to_id: number | null;
  updated_at: number;
}

export interface PrivacyTables {
  privacy_requests: PrivacyRequestsTable;
  privacy_suppressions: PrivacySuppressionsTable;
  privacy_export_chunks: PrivacyExportChunksTable;
  privacy_keys: PrivacyKeysTable;
  privacy_ip_policies: PrivacyIpPoliciesTable;
}
