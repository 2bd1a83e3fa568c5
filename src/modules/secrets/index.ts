/**
 * secrets — owns `signing_keys`: the key ring that signs CSRF tokens, export links and anything else we sign.
 * Keys live in the database so every instance shares them; they are wrapped with FOOTFALL_SECRET when set.
 * Others use `SecretsService.signer`; the maintenance module calls `rotate` on schedule.
 */
export { secretsMigrations } from './secrets.migrations.js';
export { createSecretsService, type SecretsService } from './secrets.service.js';
