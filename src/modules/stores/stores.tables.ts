import type { EntityColumns } from '../../platform/db/schema.js';

export interface StoresTable extends EntityColumns {
  organization_id: number;
  name: string;
  currency: string;
  time_zone: string;
  /** JSON array of origins (`https://shop.example`) allowed to send browser events. */
  allowed_origins: string;
  retention_days: number;
  ip_policy: string;
  backfill_days: number;
  max_key_age_days: number | null;
  requires_consent: number;
}

export interface StoresTables {
  stores: StoresTable;
}
