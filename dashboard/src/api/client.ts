import type { Problem } from './types.js';

/**
 * The one way the dashboard talks to the server: same-origin fetch with the session cookie, the CSRF header on
 * writes, and problem+json turned into an ApiError. Nothing else calls `fetch`.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Problem,
  ) {
    super(problem.detail);
    this.name = 'ApiError';
  }

  get code(): string {
    return this.problem.code;
  }

  get field(): string | undefined {
    return this.problem.field;
  }

  /** The server has no such route: a feature this Footfall version does not serve yet. */
  get isMissingEndpoint(): boolean {
    return this.status === 404 && this.problem.detail.startsWith('No route for');
  }

  get isForbidden(): boolean {
    return this.status === 403 && this.problem.code === 'forbidden';
  }
}

export type QueryValue = string | number | boolean | null | undefined | readonly string[];
export type Query = Record<string, QueryValue>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

let csrfToken: string | null = null;
const expiryListeners = new Set<() => void>();

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when any request answers 401: the session ended (expired, signed out elsewhere, password changed). */
export function onSessionExpired(listener: () => void): () => void {
  expiryListeners.add(listener);
  return () => expiryListeners.delete(listener);
}

export function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) params.append(name, item);
    else params.set(name, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

function isProblem(value: unknown): value is Problem {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Problem).detail === 'string' &&
    typeof (value as Problem).status === 'number'
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

const NETWORK_PROBLEM: Problem = {
  type: 'about:blank',
  title: 'Network error',
  status: 0,
  detail: 'Footfall could not be reached. Check your connection and try again.',
  code: 'network',
};

async function refreshCsrf(): Promise<void> {
  const me = await send<{ csrfToken: string }>('GET', '/api/v1/me', {}, true);
  csrfToken = me.csrfToken;
}

async function send<T>(method: string, path: string, options: RequestOptions, isRetry = false): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path + queryString(options.query), {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'same-origin',
      signal: options.signal,
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, NETWORK_PROBLEM);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const data = text ? parseJson(text) : null;
  if (response.ok) return data as T;
  const problem: Problem = isProblem(data)
    ? data
    : {
        type: 'about:blank',
        title: response.statusText || 'Error',
        status: response.status,
        detail: `The server answered ${response.status} ${response.statusText}`.trim(),
        code: 'unknown',
      };
  // A CSRF token goes stale when the session is renewed elsewhere; fetch a fresh one and try once more.
  if (problem.code === 'csrf_failed' && !isRetry) {
    await refreshCsrf();
    return send<T>(method, path, options, true);
  }
  if (response.status === 401 && path !== '/api/v1/auth/login') {
    for (const listener of expiryListeners) listener();
  }
  throw new ApiError(response.status, problem);
}

export const http = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> =>
    send<T>('GET', path, { query, signal }),
  post: <T>(path: string, body?: unknown, query?: Query, signal?: AbortSignal): Promise<T> =>
    send<T>('POST', path, { body, query, signal }),
  patch: <T>(path: string, body: unknown): Promise<T> => send<T>('PATCH', path, { body }),
  delete: <T>(path: string): Promise<T> => send<T>('DELETE', path, {}),
};

/** Path segments are ids from the API or the URL bar; encode them so a crafted hash cannot change the path. */
export const seg = (value: string): string => encodeURIComponent(value);
