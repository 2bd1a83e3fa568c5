import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './client.js';
import { api } from './endpoints.js';
import type { Problem, ReportName, ReportQuery, ReportShapes } from './types.js';

export interface ResourceState<T> {
  /** The last data loaded; kept while a reload or poll is in flight, so screens do not flicker. */
  data: T | undefined;
  error: ApiError | null;
  /** True while a request is in flight (first load, reload or poll). */
  loading: boolean;
  /** When `data` was last loaded (epoch ms). */
  loadedAt: number | null;
  reload(): void;
  /** Replace the data locally after a write, without a round trip. */
  mutate(update: (data: T | undefined) => T | undefined): void;
}

function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const problem: Problem = {
    type: 'about:blank',
    title: 'Unexpected error',
    status: 0,
    detail: error instanceof Error ? error.message : 'Something went wrong in the dashboard',
    code: 'client',
  };
  return new ApiError(0, problem);
}

/**
 * Loads `load()` whenever `key` changes (null = do not load). Aborts the request of a previous key, so a
 * slow answer for an old date range can never overwrite a newer one. `pollMs` reloads in the background.
 */
export function useResource<T>(
  key: string | null,
  load: (signal: AbortSignal) => Promise<T>,
  options: { pollMs?: number } = {},
): ResourceState<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  // The key `data` was loaded for: effects run after the render, so for one render after the key changes the
  // old resource's data is still held, and it must not be shown under the new key's heading.
  const [dataKey, setDataKey] = useState<string | null>(null);
  const [error, setError] = useState<{ key: string; error: ApiError } | null>(null);
  const [loading, setLoading] = useState(key !== null);
  const [loadedAt, setLoadedAt] = useState<number | null>(null);
  const [nonce, setNonce] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const keyRef = useRef<string | null>(null);

  useEffect(() => {
    if (key === null) {
      setLoading(false);
      return;
    }
    if (keyRef.current !== key) {
      // A different resource: forget the old one rather than showing it under the new heading.
      setData(undefined);
      setLoadedAt(null);
      keyRef.current = key;
    }
    const controller = new AbortController();
    setLoading(true);
    loadRef.current(controller.signal).then(
      (value) => {
        if (controller.signal.aborted) return;
        setData(value);
        setDataKey(key);
        setError(null);
        setLoading(false);
        setLoadedAt(Date.now());
      },
      (reason: unknown) => {
        if (controller.signal.aborted) return;
        setError({ key, error: asApiError(reason) });
        setLoading(false);
      },
    );
    return () => controller.abort();
  }, [key, nonce]);

  useEffect(() => {
    if (key === null || !options.pollMs) return;
    const timer = setInterval(() => setNonce((n) => n + 1), options.pollMs);
    return () => clearInterval(timer);
  }, [key, options.pollMs]);

  const reload = useCallback(() => setNonce((n) => n + 1), []);
  const mutate = useCallback((update: (d: T | undefined) => T | undefined) => setData(update), []);
  const isCurrent = dataKey === key;
  const currentError = error !== null && error.key === key ? error.error : null;
  return {
    data: isCurrent ? data : undefined,
    error: currentError,
    loading: loading || (key !== null && !isCurrent && currentError === null),
    loadedAt: isCurrent ? loadedAt : null,
    reload,
    mutate,
  };
}

/**
 * A report for the store and query. The key is the serialized query, so changing the date range, a filter or
 * a funnel step reloads it. `pollMs` keeps a report fresh (Live).
 */
export function useReport<N extends ReportName>(
  storeId: string,
  name: N,
  params: ReportQuery | null,
  options: { pollMs?: number } = {},
): ResourceState<ReportShapes[N]> {
  const key = params === null ? null : `${storeId}/${name}?${JSON.stringify(params)}`;
  return useResource<ReportShapes[N]>(
    key,
    (signal) => api.report(storeId, name, params as ReportQuery, signal),
    options,
  );
}

export interface ActionState<A extends unknown[], R> {
  run(...args: A): Promise<R | undefined>;
  pending: boolean;
  error: ApiError | null;
  reset(): void;
}

/** A write: tracks pending and error, never throws (the error is shown where the action was started). */
export function useAction<A extends unknown[], R>(action: (...args: A) => Promise<R>): ActionState<A, R> {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const actionRef = useRef(action);
  actionRef.current = action;
  const run = useCallback(async (...args: A) => {
    setPending(true);
    setError(null);
    try {
      return await actionRef.current(...args);
    } catch (reason) {
      setError(asApiError(reason));
      return undefined;
    } finally {
      setPending(false);
    }
  }, []);
  const reset = useCallback(() => setError(null), []);
  return { run, pending, error, reset };
}
