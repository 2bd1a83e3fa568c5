import type { EntityColumns } from '../../platform/db/schema.js';

export interface ApiKeysTable extends EntityColumns {
  store_id: number;
  organization_id: number;
  type: string;
  name: string;
  /** First characters of the key (`ff_sk_AbC1…`), safe to show; the key itself is never stored. */
  prefix: string;
  last4: string;
  /** SHA-256 of the whole key: keys carry 128 random bits, so a fast hash is not brute-forceable. */
  key_hash: Buffer;
  scopes: string;
  allowed_origins: string | null;
  expires_at: number | null;
  revoked_at: number | null;
  rotated_at: number | null;
  replaced_by_uid: Buffer | null;
  last_used_at: number | null;
  age_warned_at: number | null;
  expired_at: number | null;
  created_by: string | null;
}

export interface KeysTables {
  api_keys: ApiKeysTable;
}
