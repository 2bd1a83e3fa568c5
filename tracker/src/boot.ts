// Reads the <script> tag's configuration, installs `window.footfall` and replays the queue stub.
import type { FootfallCore } from '../footfall.js';
import { createTracker } from './footfall.js';

type Callable = Record<string, (...args: unknown[]) => unknown>;
/** `window.footfall`: the queue stub (or nothing) before load, the API after. */
type Slot = { footfall?: ((...args: unknown[]) => unknown) & { q?: IArguments[]; track?: unknown } };

export function boot(extend?: (api: FootfallCore) => object): void {
  const w = window as unknown as Slot;
  const stub = w.footfall;
  if (stub?.track) return; // loaded twice: the first copy owns the queue
  const script = (document.currentScript ||
    document.querySelector('[data-write-key]')) as HTMLScriptElement | null;
  const { start, ...core } = createTracker({
    ...script?.dataset,
    // Default endpoint: wherever this script was served from.
    api: (script?.dataset.api || new URL(script?.src || location.href).origin).replace(/\/$/, ''),
  });
  const api = Object.assign(core, extend?.(core)) as unknown as Callable;
  // Both `footfall.track(…)` and `footfall('track', …)` work after load, like the stub before it.
  const footfall = Object.assign((method: string, ...args: unknown[]) => api[method]?.(...args), api);
  w.footfall = footfall as Slot['footfall'];
  // Calls made before load run before the automatic page view, so a queued consent('denied') or
  // consent('pending') from a consent manager already applies to it.
  for (const args of stub?.q || []) footfall(...(args as unknown as [string]));
  start();
}
