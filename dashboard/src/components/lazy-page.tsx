import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../api/client.js';
import { ErrorState, Loading } from './states.js';

export type PageLoader = () => Promise<FunctionComponent>;

const loaded = new Map<PageLoader, FunctionComponent>();
const pending = new Map<PageLoader, Promise<FunctionComponent>>();

function load(loader: PageLoader): Promise<FunctionComponent> {
  let promise = pending.get(loader);
  if (!promise) {
    promise = loader().then((component) => {
      loaded.set(loader, component);
      return component;
    });
    // A failed chunk (network, or a deploy replaced the hashes) may be retried.
    promise.catch(() => pending.delete(loader));
    pending.set(loader, promise);
  }
  return promise;
}

const CHUNK_FAILED = new ApiError(0, {
  type: 'about:blank',
  title: 'This page could not be loaded',
  status: 0,
  detail:
    'Part of the dashboard failed to download — it may have been updated. Reload to get the new version.',
  code: 'chunk',
});

/**
 * A page whose code is fetched when first shown: each report and settings page is its own chunk, so the first
 * load carries only the frame and the page in view, and the bundle can grow page by page.
 */
export function LazyPage({ loader }: { loader: PageLoader }) {
  const [component, setComponent] = useState<{ Page: FunctionComponent } | null>(() => {
    const ready = loaded.get(loader);
    return ready ? { Page: ready } : null;
  });
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    const ready = loaded.get(loader);
    if (ready) {
      setComponent({ Page: ready });
      return;
    }
    let live = true;
    setComponent(null);
    setFailed(false);
    load(loader).then(
      (Page) => live && setComponent({ Page }),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [loader]);
  if (failed) return <ErrorState error={CHUNK_FAILED} retry={() => window.location.reload()} />;
  if (!component) return <Loading label="Loading the page" rows={5} />;
  const { Page } = component;
  return <Page />;
}
