/**
 * privacy — owns `privacy_requests` (erasure and export requests and their receipts), `privacy_suppressions`
 * (HMACs of erased identifiers), `privacy_export_chunks` (export files as gzip chunks), `privacy_keys` (the
 * subject HMAC key) and `privacy_ip_policies` (IP policy applied to stored events). It serves the erasure and
 * export routes and the signed download, and provides the `privacy` cron job.
 *
 * Others may use: `createPrivacyModule` (wired once in src/main), its `isSuppressed` as the pipeline's
 * suppression check, `addDerivedDataCleaner` to have their rows derived from events removed by retention,
 * erasure and purge, and `deleteStoreChunk`/`countStoreRows` (the maintenance module's store purge).
 */
export type {
  CleanOptions,
  DerivedDataCleaner,
  DerivedDataRegistry,
  PrivacySubject,
  SubjectFootprint,
} from './derived-data.js';
export { privacyMigrations } from './privacy.migrations.js';
export { createPrivacyModule, type PrivacyModule, type PrivacyModuleDeps } from './privacy.module.js';
export { registerPrivacyRoutes } from './privacy.routes.js';
export {
  EXPORT_LINK_TTL_MS,
  EXPORT_RETENTION_MS,
  type PrivacyRequestView,
  type PrivacyService,
} from './privacy.service.js';
export type { PrivacyJobOptions, PrivacyJobResult } from './privacy-requests.job.js';
export { SUPPRESSION_REFRESH_MS } from './suppression-list.js';
