/**
 * keys — owns `api_keys`: publishable write keys (`ff_pub_…`) and scoped secret keys (`ff_sk_…`), stored as
 * hashes, with expiry, rotation with a grace window, revocation and last use. Others call
 * `KeysService.authenticate` to turn a presented key into its store and scopes.
 */
export { displayPrefix, generateKey, KEY_TYPES, type KeyType, parseKey } from './key-codec.js';
export { keysMigrations } from './keys.migrations.js';
export { registerKeysRoutes } from './keys.routes.js';
export {
  AGE_WARNING_MS,
  type ApiKey,
  type AuthenticatedKey,
  createKeysService,
  DEFAULT_GRACE_MS,
  KEY_CACHE_MS,
  type KeyStatus,
  type KeysService,
  keyStatus,
} from './keys.service.js';
