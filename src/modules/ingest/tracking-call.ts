import { AppError } from '../../platform/errors.js';
import { isPlainObject } from './event-validation.js';
import type { SEGMENT_TYPES } from './ingest.schemas.js';
import {
  type IngestCaller,
  type IngestResult,
  type IngestService,
  jsonBytes,
  MAX_EVENT_BYTES,
  MAX_REQUEST_BYTES,
} from './ingest.service.js';

/** What a tracking path names: one event of a Segment type, or a batch. */
export type TrackingRoute = (typeof SEGMENT_TYPES)[number] | 'batch';

/** A tracking API request once its body is parsed, whichever HTTP lane read it (Fastify's or the direct one). */
export interface TrackingCall {
  route: TrackingRoute;
  body: unknown;
  /** Bytes of the (decompressed) body: a body within the per-event limit skips per-event size checks. */
  bodyBytes: number;
  authorization: string | undefined;
  /** `?writeKey=` (read only when neither the header nor the body has a key), or undefined. */
  queryWriteKey: () => unknown;
  origin: string | undefined;
  ip: string | null;
  userAgent: string | undefined;
}

export const tooLargeRequest = () =>
  new AppError(
    'payload_too_large',
    `A request may be at most ${MAX_REQUEST_BYTES / 1024} KB (${MAX_REQUEST_BYTES} bytes)`,
    { extra: { limit: 'bytes per request', maximum: MAX_REQUEST_BYTES } },
  );

export const malformedJson = () =>
  new AppError('malformed_body', 'The body is not valid JSON; nothing was accepted');

/** The key from `Authorization: Basic base64(key:)` (Segment), `Bearer ff_sk_…`, the body, or `?writeKey=`. */
function presentedKey(call: TrackingCall, body: Record<string, unknown>): string | null {
  const header = call.authorization;
  if (header !== undefined) {
    const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
      const user = decoded.split(':')[0] ?? '';
      return user === '' ? null : user;
    }
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (bearer) return bearer[1] as string;
    throw new AppError('unauthenticated', 'Authorization must be Basic (write key as user name) or Bearer');
  }
  if (typeof body.writeKey === 'string') return body.writeKey;
  const query = call.queryWriteKey();
  return typeof query === 'string' && query !== '' ? query : null;
}

function callerOf(call: TrackingCall, body: Record<string, unknown>): IngestCaller {
  return {
    presentedKey: presentedKey(call, body),
    origin: typeof call.origin === 'string' && call.origin !== '' ? call.origin : null,
    ip: call.ip,
    userAgent: typeof call.userAgent === 'string' ? call.userAgent : null,
  };
}

/**
 * One tracking API call, HTTP aside: the body's shape, the key, the per-event limit, then the events. Throws
 * an AppError for a refusal of the whole request (nothing accepted); per-event outcomes are in the result.
 */
export async function runTrackingCall(ingest: IngestService, call: TrackingCall): Promise<IngestResult> {
  const { body } = call;
  if (call.route === 'batch') {
    if (!isPlainObject(body) || !Array.isArray(body.batch)) {
      throw new AppError('malformed_body', 'The body must be {"batch": [events…]}; nothing was accepted', {
        field: 'batch',
      });
    }
    const caller = callerOf(call, body);
    const auth = await ingest.authorize(caller);
    return ingest.accept(auth, body.batch, { sentAt: body.sentAt, context: body.context }, caller, {
      measureEach: call.bodyBytes > MAX_EVENT_BYTES,
    });
  }
  if (!isPlainObject(body)) {
    throw new AppError('malformed_body', 'The body must be a JSON object (one event); nothing was accepted');
  }
  const caller = callerOf(call, body);
  const auth = await ingest.authorize(caller);
  if (call.bodyBytes > MAX_EVENT_BYTES && (jsonBytes(body) ?? 0) > MAX_EVENT_BYTES) {
    throw new AppError('payload_too_large', `An event may be at most ${MAX_EVENT_BYTES / 1024} KB`, {
      extra: { limit: 'bytes per event', maximum: MAX_EVENT_BYTES },
    });
  }
  // The path names the type: a body `type` cannot turn a /v1/page call into something else.
  const result = await ingest.accept(auth, [{ ...body, type: call.route }], {}, caller, {
    measureEach: false,
  });
  const rejection = result.rejected[0];
  if (rejection) {
    throw new AppError('validation_failed', rejection.reason, {
      ...(rejection.field !== undefined ? { field: rejection.field } : {}),
      extra: { rejected: result.rejected },
    });
  }
  return result;
}

/** The 200 answer's body, as the route's response schema serialises it. */
export function resultBody(result: IngestResult) {
  return {
    accepted: result.accepted,
    duplicates: result.duplicates,
    rejected: result.rejected,
    ...(result.assigned.length > 0 ? { assigned: result.assigned } : {}),
  };
}
