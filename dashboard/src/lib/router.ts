import { useEffect, useMemo, useState } from 'preact/hooks';

/**
 * Hash routing (`#/stores/str_…/overview?range=30d`): the server serves one index.html at `/` and never has
 * to know the dashboard's pages, so a deep link works behind any proxy or CDN.
 */
export interface Location {
  path: string[];
  query: URLSearchParams;
}

export function parseHash(hash: string): Location {
  const text = hash.replace(/^#\/?/, '');
  const mark = text.indexOf('?');
  const pathPart = mark === -1 ? text : text.slice(0, mark);
  const queryPart = mark === -1 ? '' : text.slice(mark + 1);
  const path = pathPart
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path, query: new URLSearchParams(queryPart) };
}

/** `#/a/b?x=1` from path segments (encoded) and an optional query. */
export function hrefTo(
  path: string | readonly string[],
  query?: URLSearchParams | Record<string, string>,
): string {
  const segments = typeof path === 'string' ? path.split('/').filter(Boolean) : path;
  const params = query instanceof URLSearchParams ? query : new URLSearchParams(query);
  const qs = params.toString();
  return `#/${segments.map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`;
}

export function currentLocation(): Location {
  return parseHash(window.location.hash);
}

export function navigate(
  path: string | readonly string[],
  query?: URLSearchParams | Record<string, string>,
  options: { replace?: boolean } = {},
): void {
  const target = hrefTo(path, query);
  if (options.replace) window.history.replaceState(null, '', target);
  else window.history.pushState(null, '', target);
  // pushState does not fire hashchange; tell the listeners ourselves.
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

/** Changes query parameters of the current page (date range, filters, tabs), keeping its path. */
export function updateQuery(
  change: (query: URLSearchParams) => void,
  options: { replace?: boolean } = {},
): void {
  const { path, query } = currentLocation();
  change(query);
  navigate(path, query, options);
}

export function useLocation(): Location {
  const [hash, setHash] = useState(() => window.location.hash);
  useEffect(() => {
    const update = () => setHash(window.location.hash);
    window.addEventListener('hashchange', update);
    window.addEventListener('popstate', update);
    // Children's effects run before ours: a child may have navigated before we were listening.
    update();
    return () => {
      window.removeEventListener('hashchange', update);
      window.removeEventListener('popstate', update);
    };
  }, []);
  return useMemo(() => parseHash(hash), [hash]);
}
