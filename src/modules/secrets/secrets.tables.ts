import type { Generated } from 'kysely';

export interface SigningKeysTable {
  id: Generated<number>;
  kid: string;
  /** 32 random bytes; wrapped with AES-256-GCM under FOOTFALL_SECRET when one is configured. */
  material: Buffer;
  is_wrapped: number;
  created_at: number;
  /** From this time the key signs (before it, it only verifies); null: from its creation. */
  sign_from_ms: number | null;
  /** After this time the key verifies but no longer signs. */
  sign_until_ms: number | null;
  /** After this time the key neither signs nor verifies. */
  retire_at_ms: number | null;
}

export interface SecretsTables {
  signing_keys: SigningKeysTable;
}
