/**
 * reports — owns the rollup tables (`report_state`, `report_sessions`, `report_hourly`, `report_daily_dims`,
 * `report_daily_pages`, `report_daily_products`, `report_orders`, `report_visitor_days`,
 * `report_visitor_pairs`) and `report_currency_rates`; reads the pipeline's `events` and `orders`.
 *
 * Others may use: `createReportsModule` (its `onBatch` is the pipeline batch hook, `rollupsJob()` the cron
 * job, `derivedDataCleaner` privacy's cleaner for retention, erasure and purge, `bulkLoader` the seed's
 * same-pass rollups), `registerReportsRoutes`, `reportsMigrations`, the time
 * helpers (store-local days and hours) and the rollup event shape the seed hands the bulk loader.
 */

export {
  DAY_MS,
  dayStartMs,
  formatDate,
  localDay,
  localHourStart,
  parseDate,
} from './report-time.js';
export { reportsMigrations } from './reports.migrations.js';
export {
  createReportsModule,
  type ReportsModule,
  type ReportsModuleDeps,
  type StoresLookup,
} from './reports.module.js';
export { registerReportsRoutes } from './reports.routes.js';
export type { ReportParams, ReportsService } from './reports.service.js';
export type { BulkVisit, PreparedRollups, RollupBulkLoader } from './rollup-bulk.service.js';
export type { RollupEvent, SourceOrder } from './rollup-model.js';
export { storedToRollupEvent } from './rollup-writer.service.js';
export type { RollupsJobResult } from './rollups.job.js';
