/**
 * stores — owns `stores`: the shops an organization tracks and their settings (currency, time zone, allowed
 * origins, retention, IP policy). Others use `StoresService`; deletion hooks let other modules act in the
 * same transaction.
 */
export { type IpPolicy, normalizeOrigin, type StoreSettings } from './store-settings.js';
export { storesMigrations } from './stores.migrations.js';
export { registerStoresRoutes, StoreView } from './stores.routes.js';
export {
  createStoresService,
  STORE_RESTORE_GRACE_MS,
  type Store,
  type StoreDeletedHook,
  type StoresService,
} from './stores.service.js';
