/**
 * pipeline — owns `events`, `orders`, `order_adjustments` and `dead_letters`, the event buffer (a Redis Stream
 * in production, an in-process queue in embedded mode) and the workers that drain it into the database in
 * idempotent batches. Others may use: the buffer (ingest appends to it), the events/orders readers, the
 * dead-letter service, `worker.addBatchHook` (work inside each batch transaction, e.g. rollups),
 * `storedMessageHash` (a hooked event's message hash, computed once) and `addSuppressionCheck` (erased
 * subjects' events are not stored).
 */
export type { BatchHook, SuppressionCheck, WriteResult } from './batch-writer.service.js';
export type { DeadLetter, DeadLettersService } from './dead-letters.service.js';
export type { PipelineWorker } from './embedded-worker.js';
export { type AppendResult, BufferUnavailableError, type EventBuffer } from './event-buffer.js';
export {
  createEventRowBuilder,
  EVENT_COLUMNS,
  type EventRow,
  eventRowValues,
  toEventRow,
} from './events.repository.js';
export type { EventQuery, EventsReader, EventView } from './events-reader.service.js';
export type { OrderStatus } from './order-ledger.js';
export type { OrderRecord, OrdersReader } from './orders-reader.service.js';
export { pipelineMigrations } from './pipeline.migrations.js';
export {
  createPipelineModule,
  type PipelineModule,
  type PipelineModuleDeps,
  type PipelineOptions,
} from './pipeline.module.js';
export { registerPipelineRoutes } from './pipeline.routes.js';
/** Row types of the pipeline's tables, for modules that read them (reports) — never to write them. */
export type { EventsTable, OrdersTable } from './pipeline.tables.js';
export type { PipelineEvent, StoredEvent } from './pipeline-event.js';
export { storedMessageHash } from './pipeline-event.js';
export {
  createPipelineMaintenanceService,
  type ExportedDeadLetter,
  type ExportedEvent,
  type ExportedOrder,
  type ExportedOrderAdjustment,
  type PipelineMaintenanceService,
  type PipelineRowCounts,
  type SubjectIds,
} from './pipeline-maintenance.service.js';
