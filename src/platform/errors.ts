/**
 * The closed set of failures the API reports. Each maps to one HTTP status in `statusOf` (an exhaustive
 * switch: adding a code without a status is a compile error). Expected failures travel as values
 * (`Result`) inside services and become an AppError only at the HTTP edge.
 */
export type ErrorCode =
  | 'validation_failed'
  | 'malformed_body'
  | 'unsupported_media_type'
  | 'payload_too_large'
  | 'unauthenticated'
  | 'invalid_credentials'
  | 'forbidden'
  | 'csrf_failed'
  | 'not_found'
  | 'conflict'
  | 'gone'
  | 'rate_limited'
  | 'unavailable'
  | 'internal';

export function statusOf(code: ErrorCode): number {
  switch (code) {
    case 'validation_failed':
    case 'malformed_body':
      return 400;
    case 'unauthenticated':
    case 'invalid_credentials':
      return 401;
    case 'forbidden':
    case 'csrf_failed':
      return 403;
    case 'not_found':
      return 404;
    case 'conflict':
      return 409;
    case 'gone':
      return 410;
    case 'payload_too_large':
      return 413;
    case 'unsupported_media_type':
      return 415;
    case 'rate_limited':
      return 429;
    case 'unavailable':
      return 503;
    case 'internal':
      return 500;
  }
}

const TITLES: Record<ErrorCode, string> = {
  validation_failed: 'Validation failed',
  malformed_body: 'Malformed request body',
  unsupported_media_type: 'Unsupported media type',
  payload_too_large: 'Payload too large',
  unauthenticated: 'Authentication required',
  invalid_credentials: 'Invalid credentials',
  forbidden: 'Forbidden',
  csrf_failed: 'CSRF token missing or invalid',
  not_found: 'Not found',
  conflict: 'Conflict',
  gone: 'Gone',
  rate_limited: 'Too many requests',
  unavailable: 'Service unavailable',
  internal: 'Internal server error',
};

export function titleOf(code: ErrorCode): string {
  return TITLES[code];
}

export class AppError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    detail: string,
    readonly options: { field?: string; retryAfterS?: number; extra?: Record<string, unknown> } = {},
  ) {
    super(detail);
    this.name = 'AppError';
    this.status = statusOf(code);
  }
  get field(): string | undefined {
    return this.options.field;
  }
}

export const notFound = (what: string): AppError => new AppError('not_found', `${what} was not found`);
export const forbidden = (detail: string): AppError => new AppError('forbidden', detail);
export const invalid = (field: string, detail: string): AppError =>
  new AppError('validation_failed', detail, { field });
export const conflict = (field: string, detail: string): AppError =>
  new AppError('conflict', detail, { field });

/** RFC 9457 body. `type` is a stable URI per code so clients can switch on it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  field?: string;
  requestId?: string;
  [extension: string]: unknown;
}

export function problemOf(error: AppError, requestId?: string): Problem {
  return {
    type: `https://footfall.dev/problems/${error.code.replace(/_/g, '-')}`,
    title: titleOf(error.code),
    status: error.status,
    detail: error.message,
    code: error.code,
    ...(error.field !== undefined ? { field: error.field } : {}),
    ...(requestId !== undefined ? { requestId } : {}),
    ...(error.options.extra ?? {}),
  };
}

export type Result<T, E = AppError> = { ok: true; value: T } | { ok: false; error: E };
export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
