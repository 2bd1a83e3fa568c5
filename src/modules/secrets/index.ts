/**
 * secrets — owns `signing_keys`: the key ring that signs CSRF tokens, export links and anything else we sign.
 * Keys live in the database so every instance shares them; they are wrapped with FOOTFALL_SECRET when set.
 * Others use `SecretsService.signer`; the maintenance module calls `rotate` on schedule. A new key is
 * published verify-only for SIGNING_KEY_PUBLISH_MS (several ring cache lifetimes) before it signs, so a token
 * signed on one instance always verifies on every other.
 */
export { secretsMigrations } from './secrets.migrations.js';
export {
  createSecretsService,
  type SecretsService,
  SIGNING_KEY_PUBLISH_MS,
  SIGNING_KEY_REFRESH_MS,
} from './secrets.service.js';
