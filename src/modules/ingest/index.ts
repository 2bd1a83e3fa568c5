/**
 * ingest — owns no tables. The Segment-compatible tracking API (`/v1/track|page|screen|identify|group|alias|
 * batch`): write-key authentication, origin checks and CORS, limits, validation and enrichment (the pure
 * `normalizeEvent` and its steps), sessions, and appending to the pipeline's buffer. Others may use the
 * service, the route registration, and the pure normalisation for tools that must read events as ingest does.
 */

export { ECOMMERCE_EVENTS, type EcommerceEvent } from './ecommerce-rules.js';
export { registerIngestRoutes } from './ingest.routes.js';
export {
  createIngestService,
  type IngestAuthorization,
  type IngestCaller,
  type IngestResult,
  type IngestService,
  MAX_EVENT_BYTES,
  MAX_EVENTS_PER_REQUEST,
  MAX_REQUEST_BYTES,
} from './ingest.service.js';
export { createMemorySessionStore, createRedisSessionStore, type SessionStore } from './ingest.sessions.js';
export { type NormalizeContext, type NormalizedEvent, normalizeEvent } from './normalize-event.js';
