// Helpers for the tracker's browser tests: a real Footfall (all roles, SQLite, in-process buffer and worker)
// listening on a free port with the demo store set up, and a reader of what it stored.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { createTestApp, type TestApp } from '../harness/app.js';

const SYSTEM = { type: 'system' as const, id: null, label: 'test' };

export interface StoredEvent {
  id: string;
  messageId: string;
  type: string;
  event: string | null;
  name: string | null;
  anonymousId: string | null;
  sessionId: string | null;
  properties: Record<string, unknown>;
  context: Record<string, unknown> & { page?: { path?: string; url?: string; referrer?: string } };
  enrichment: { path: string | null };
}

export interface ServerRequest {
  path: string;
  mode: string;
  at: number;
  refused: boolean;
}

export interface ShopServer {
  t: TestApp;
  /** `http://127.0.0.1:<port>`: the shop is under `/demo/`, the tracker at `/footfall.js`. */
  url: string;
  port: number;
  storeId: string;
  /** A publishable key of the demo store, for test pages of our own. */
  writeKey: string;
  /**
   * Requests to the tracking API (`/v1/…`) as the server's socket saw them, beacons included (Playwright
   * neither reports nor routes sendBeacon). `mode` is `Sec-Fetch-Mode`: `cors` for the tracker's fetch,
   * `no-cors` for a beacon. `refused` when it arrived while tracking was down.
   */
  requests: ServerRequest[];
  /** Down: the server cuts the connection of every `/v1/` request (fetch and beacon alike), as if unreachable. */
  setTrackingDown(isDown: boolean): void;
  /** Every stored event of the demo store, newest first (one page of up to 500). */
  events(filter?: { anonymousId?: string; event?: string }): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

/** Footfall with an organization owning a store named "Demo Store", which the demo shop reports to. */
export async function startShopServer(): Promise<ShopServer> {
  // A clock at the real time: the tracker stamps events with the browser's clock.
  const t = await createTestApp('sqlite', { startMs: Date.now() });
  const { accounts, stores, keys } = t.services;
  const organization = await accounts.createOrganization('Demo Organization', SYSTEM);
  const store = await stores.create(organization.id, { name: 'Demo Store' }, SYSTEM);
  const secret = (await keys.create(store, { type: 'secret', scopes: ['events:read'] }, SYSTEM)).secret;
  const writeKey = (await keys.create(store, { type: 'publishable' }, SYSTEM)).secret;
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = t.app.server.address() as AddressInfo;

  // In front of Fastify's handler: record tracking requests and, while "down", drop their connections.
  const requests: ServerRequest[] = [];
  let isTrackingDown = false;
  const httpServer = t.app.server;
  const handlers = httpServer.listeners('request') as Array<
    (req: IncomingMessage, res: ServerResponse) => void
  >;
  httpServer.removeAllListeners('request');
  httpServer.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/v1/')) {
      requests.push({
        path: req.url.split('?')[0] ?? '',
        mode: String(req.headers['sec-fetch-mode'] ?? ''),
        at: Date.now(),
        refused: isTrackingDown,
      });
      if (isTrackingDown) {
        req.socket.destroy();
        return;
      }
    }
    for (const handler of handlers) handler.call(httpServer, req, res);
  });

  return {
    t,
    url: `http://127.0.0.1:${port}`,
    port,
    storeId: store.publicId,
    writeKey,
    requests,
    setTrackingDown(isDown) {
      isTrackingDown = isDown;
    },
    async events(filter = {}) {
      const query = new URLSearchParams({ limit: '500', ...filter });
      const response = await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${store.publicId}/events?${query}`,
        headers: { authorization: `Bearer ${secret}` },
      });
      if (response.statusCode !== 200) throw new Error(`events API: ${response.statusCode} ${response.body}`);
      return (response.json() as { items: StoredEvent[] }).items;
    },
    close: () => t.close(),
  };
}

export interface SeenRequest {
  url: string;
  method: string;
  /** Playwright's resource type (`fetch`). Beacons never show up here: see ShopServer.requests. */
  resourceType: string;
  body: string;
  at: number;
}

/** Records the requests of a context to the tracking API (`/v1/…`) that Playwright reports: not beacons. */
export function recordTrackingRequests(context: BrowserContext): SeenRequest[] {
  const seen: SeenRequest[] = [];
  context.on('request', (request) => {
    if (!new URL(request.url()).pathname.startsWith('/v1/')) return;
    seen.push({
      url: request.url(),
      method: request.method(),
      resourceType: request.resourceType(),
      body: request.postData() ?? '',
      at: Date.now(),
    });
  });
  return seen;
}

/** What the tracker keeps in the page's storage: its `ff_*` keys, in localStorage and sessionStorage. */
export function trackerStorage(
  page: Page,
): Promise<{ local: Record<string, string>; session: Record<string, string> }> {
  return page.evaluate(() => {
    const pick = (storage: Storage) =>
      Object.fromEntries(
        Object.keys(storage)
          .filter((key) => key.startsWith('ff_'))
          .map((key) => [key, storage.getItem(key) ?? '']),
      );
    return { local: pick(localStorage), session: pick(sessionStorage) };
  });
}

/** Events waiting in the tracker's stored queue (`ff_q`) of the page's origin. */
export async function queuedEvents(
  page: Page,
): Promise<Array<{ messageId: string; type: string; event?: string }>> {
  const raw = (await trackerStorage(page)).local.ff_q;
  return raw ? JSON.parse(raw) : [];
}

/** The visitor's anonymous id as the tracker stored it (`ff_s.a`), or null. */
export async function storedAnonymousId(page: Page): Promise<string | null> {
  const raw = (await trackerStorage(page)).local.ff_s;
  return raw ? ((JSON.parse(raw) as { a?: string }).a ?? null) : null;
}

/** A short label per event: `page /demo/cart.html` or the track event's name. */
export const label = (e: StoredEvent): string =>
  e.type === 'page' ? `page ${e.context.page?.path ?? e.enrichment.path}` : `${e.type} ${e.event}`;

/** Occurrences of each value. */
export function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}
