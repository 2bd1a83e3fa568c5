import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  contentTypeOf,
  type DashboardFile,
  etagOf,
  INDEX_PATH,
  registerDashboardRoutes,
} from '../../src/modules/dashboard/index.js';
import { createHttpApp, type HttpApp } from '../../src/platform/http/app.js';
import { createLogger } from '../../src/platform/log.js';
import { createTenant, createTestApp, PASSWORD, type Tenant, type TestApp } from '../harness/app.js';
import { DIALECTS } from '../harness/databases.js';

// Hostile input that only shows on a real socket: slow clients, oversized headers, a gzip bomb sent chunked
// (no Content-Length to refuse it by), and raw request paths (app.inject would normalise `..` away), for every
// file route and the redirects. Names start with their category in brackets.

interface RawAnswer {
  status: number;
  headers: string;
  body: string;
}

/** Sends `text` as is (with `Connection: close`) and reads the answer until the server closes the connection. */
function raw(port: number, text: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const answer = Buffer.concat(chunks).toString('latin1');
      const [head = '', ...rest] = answer.split('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
        headers: head,
        body: rest.join('\r\n\r\n'),
      });
    });
    // Not end(): a half-closed client makes the server drop answers that are still being computed.
    socket.write(text);
  });
}

const get = (port: number, path: string, extra = '') =>
  raw(port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${extra}\r\n`);

/** Resolves when the server closes the socket; collects what it sent before. */
function closed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(text));
  });
}

// Markers of files that must never be served: the repository's package.json, a source file, /etc/passwd.
const SECRET_MARKERS = [
  '"name": "footfall"',
  'root:x:0:0',
  'loadConfig',
  'FOOTFALL_SECRET',
  '"devDependencies"',
];

const TRAVERSALS = [
  '/demo/../package.json',
  '/demo/../../../../etc/passwd',
  '/demo/..%2fpackage.json',
  '/demo/%2e%2e/package.json',
  '/demo/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '/demo/%252e%252e%252fpackage.json',
  '/demo/%252e%252e/%252e%252e/etc/passwd',
  '/demo/..%5cpackage.json',
  '/demo/..\\..\\package.json',
  '/demo/....//....//package.json',
  '/demo/%c0%ae%c0%ae/package.json',
  '/demo/%2fetc%2fpasswd',
  '/demo//etc/passwd',
  '/demo/img/..%00/../../package.json',
  '/demo/index.html%00.png',
  '/demo/shop.css/../../package.json',
  '/footfall.js/../package.json',
  '/footfall.js%2f..%2fpackage.json',
  '/footfall.js/..%2f..%2fpackage.json',
  '/footfall.core.js/%2e%2e/%2e%2e/etc/passwd',
  '/%2e%2e/package.json',
  '/..%2fpackage.json',
  '/%252e%252e%252fpackage.json',
  '/src/platform/config.ts',
  '/package.json',
  '/.env',
  '/node_modules/fastify/package.json',
];

describe.each(DIALECTS)('hostile input over a real socket on %s', (dialect) => {
  let t: TestApp;
  let tenant: Tenant;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp(dialect);
    tenant = await createTenant(t, `socket${dialect}`);
    const system = { type: 'system' as const, id: null, label: 'test' };
    const organization = await t.services.accounts.createOrganization('Demo Organization', system);
    await t.services.stores.create(organization.id, { name: 'Demo Store' }, system);
    const server = t.app.server;
    // The configured limits (src/platform/http/app.ts): headers within 10 s, a whole request within 30 s.
    expect(server.headersTimeout).toBe(10_000);
    expect(server.requestTimeout).toBe(30_000);
    // Expired requests are looked for every 100 ms instead of every 30 s (the timeouts themselves are scaled
    // down only inside the slow-client tests, so a busy CI machine cannot time out the other cases).
    // A Node option since 18.12 that @types/node 20 does not declare as a property; read at listen().
    (server as typeof server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 100;
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    port = address.port;
  });
  afterAll(async () => {
    await t?.close();
  });

  const healthy = async () => (await get(port, '/healthz')).status;

  /** Runs `fn` with the configured 10 s / 30 s limits scaled down to 1 s / 2 s: same mechanism, shorter clock. */
  const withShortTimeouts = async (fn: () => Promise<void>) => {
    const server = t.app.server;
    server.headersTimeout = 1_000;
    server.requestTimeout = 2_000;
    try {
      await fn();
    } finally {
      server.headersTimeout = 10_000;
      server.requestTimeout = 30_000;
    }
  };

  it('[slow clients] headers sent byte by byte are cut off with 408; the server answers others meanwhile', async () => {
    await withShortTimeouts(async () => {
      const socket = connect(port, '127.0.0.1');
      const answer = closed(socket);
      const head = `POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(10_000)}`;
      let sent = 0;
      // One byte every 20 ms: the whole header would need minutes; it never finishes before the cut.
      const drip = setInterval(() => {
        if (socket.destroyed || sent >= head.length) return clearInterval(drip);
        socket.write(head[sent++] as string);
      }, 20);
      expect(await healthy()).toBe(200);
      const text = await answer;
      clearInterval(drip);
      expect(text).toMatch(/^HTTP\/1\.1 408/);
      expect(sent).toBeLessThan(head.length);
      expect(await healthy()).toBe(200);
    });
  });

  it('[slow clients] a body that stalls is cut off, nothing of it is stored, the server stays healthy', async () => {
    await withShortTimeouts(async () => {
      const before = await t.services.pipeline.events.count(
        (await t.services.stores.findByPublicId(tenant.storeId))?.id ?? -1,
      );
      const socket = connect(port, '127.0.0.1');
      const answer = closed(socket);
      const body = JSON.stringify({
        type: 'track',
        event: 'Stalled',
        anonymousId: 'a',
        messageId: 'stalled-body',
      });
      const auth = Buffer.from(`${tenant.writeKey}:`).toString('base64');
      socket.write(
        `POST /v1/track HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nAuthorization: Basic ${auth}\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
      );
      expect(await healthy()).toBe(200);
      const text = await answer;
      expect(text).toMatch(/^HTTP\/1\.1 408/);
      expect(await healthy()).toBe(200);
      const events = await t.app.inject({
        method: 'GET',
        url: `/api/v1/stores/${tenant.storeId}/events?messageId=stalled-body`,
        headers: { authorization: `Bearer ${tenant.secretKey}` },
      });
      expect(events.json().items).toEqual([]);
      const storeId = (await t.services.stores.findByPublicId(tenant.storeId))?.id ?? -1;
      expect(await t.services.pipeline.events.count(storeId)).toBe(before);
    });
  });

  it('[size limits] headers over 16 KB on a real socket → 431, server healthy', async () => {
    const answer = await get(port, '/healthz', `X-Junk: ${'x'.repeat(20_000)}\r\n`);
    expect(answer.status).toBe(431);
    expect(await healthy()).toBe(200);
  });

  it('[content type and encoding] a 2 GB gzip bomb sent chunked is refused with 413 without inflating it', async () => {
    // 128 gzip members of 16 MB of zeros each: about 2 MB on the wire, 2 GB once inflated.
    const member = gzipSync(Buffer.alloc(16 * 1024 * 1024));
    const rssBefore = process.memoryUsage().rss;
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/v1/batch',
          headers: {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
            authorization: `Basic ${Buffer.from(`${tenant.writeKey}:`).toString('base64')}`,
          },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', (error: NodeJS.ErrnoException) => {
        // The server may close while we still write; the answer has arrived by then or the test fails below.
        if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
      });
      let i = 0;
      const writeMore = () => {
        while (i < 128) {
          i += 1;
          if (!req.write(member)) return void req.once('drain', writeMore);
        }
        req.end();
      };
      writeMore();
    });
    expect(status).toBe(413);
    // Inflating the bomb would need 2 GB; the server stops at 500 KB of output.
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(256 * 1024 * 1024);
    expect(await healthy()).toBe(200);
  });

  it.each(['/footfall.js', '/footfall.core.js', '/demo/', '/demo/shop.css', '/demo/product.html'])(
    '[path traversal] control: GET %s, a file that is served, answers 200',
    async (path) => {
      expect((await get(port, path)).status).toBe(200);
    },
  );

  it.each(TRAVERSALS)('[path traversal] GET %s serves no file outside the served ones', async (path) => {
    const answer = await get(port, path);
    expect([400, 404]).toContain(answer.status);
    for (const marker of SECRET_MARKERS) expect(answer.body).not.toContain(marker);
    expect(await healthy()).toBe(200);
  });

  it.each([
    ['/demo?next=https://evil.example', '/demo/'],
    ['/demo?redirect=//evil.example', '/demo/'],
    ['/demo?returnTo=%2F%2Fevil.example', '/demo/'],
  ])('[redirects] GET %s redirects only to %s on this host', async (path, location) => {
    const answer = await get(port, path);
    expect(answer.status).toBeGreaterThanOrEqual(300);
    expect(answer.status).toBeLessThan(400);
    expect(/\r\nlocation: (.*)/i.exec(answer.headers)?.[1]).toBe(location);
  });

  it.each([
    '//evil.example/',
    '//evil.example/%2e%2e',
    '/\\evil.example',
    '/%5cevil.example',
    '/demo//evil.example',
    '/https://evil.example',
    '/api/v1/auth/login?next=https://evil.example',
  ])('[redirects] GET %s sends no Location anywhere', async (path) => {
    const answer = await get(port, path);
    expect(answer.headers).not.toMatch(/\r\nlocation:/i);
    expect(await healthy()).toBe(200);
  });

  it.each([
    [
      'next in the query',
      '?next=https://evil.example&redirect=//evil.example&returnTo=https://evil.example',
      {},
    ],
    ['next in the body', '', { next: 'https://evil.example' }],
  ])('[redirects] login with %s answers JSON and never a redirect', async (_name, query, extra) => {
    const email = `owner@socket${dialect}.test`;
    const response = await t.app.inject({
      method: 'POST',
      url: `/api/v1/auth/login${query}`,
      payload: { email, password: PASSWORD, ...extra },
    });
    expect(response.headers.location).toBeUndefined();
    // An unknown body field is refused (400) rather than ignored; a query is ignored.
    expect(response.statusCode).toBe(Object.keys(extra).length > 0 ? 400 : 200);
    expect(response.headers['content-type']).toMatch(/json/);
  });
});

describe('path traversal on the dashboard assets over a real socket', () => {
  let app: HttpApp;
  let port: number;
  const file = (path: string, text: string): [string, DashboardFile] => {
    const body = Buffer.from(text);
    return [path, { body, contentType: contentTypeOf(path), etag: etagOf(body) }];
  };

  beforeAll(async () => {
    const logger = createLogger({
      level: 'silent',
      destination: new Writable({ write: (_c, _e, done) => done() }),
    });
    ({ app } = await createHttpApp({ logger, trustProxy: false, version: 'test' }));
    registerDashboardRoutes(app, {
      assets: new Map([
        file(INDEX_PATH, '<!doctype html>'),
        file('/assets/app-AAAA1111.js', 'console.log(1)'),
      ]),
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const address = app.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    port = address.port;
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each([
    '/assets/../package.json',
    '/assets/..%2fpackage.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e%2fpackage.json',
    '/assets/%252e%252e%252fpackage.json',
    '/assets/..%5c..%5cpackage.json',
    '/assets/%2e%2e/%2e%2e/etc/passwd',
    '/assets/app-AAAA1111.js%00.html',
    '/assets/app-AAAA1111.js/../../package.json',
    `/assets/${'..%2f'.repeat(40)}etc%2fpasswd`,
  ])('[path traversal] GET %s → 404, nothing else served', async (path) => {
    const answer = await get(port, path);
    expect([400, 404]).toContain(answer.status);
    for (const marker of SECRET_MARKERS) expect(answer.body).not.toContain(marker);
    expect((await get(port, '/assets/app-AAAA1111.js')).status).toBe(200);
  });
});
