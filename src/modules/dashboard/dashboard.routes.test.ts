import { Writable } from 'node:stream';
import { gunzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { createHttpApp } from '../../platform/http/app.js';
import { createLogger } from '../../platform/log.js';
import { contentTypeOf, type DashboardFile, etagOf, INDEX_PATH, registerDashboardRoutes } from './index.js';

const file = (path: string, text: string): [string, DashboardFile] => {
  const body = Buffer.from(text);
  return [path, { body, contentType: contentTypeOf(path), etag: etagOf(body) }];
};

const INDEX =
  '<!doctype html><html><head><script type="module" src="/assets/app-AAAA1111.js"></script></head></html>';
const SCRIPT = `console.log(${JSON.stringify('x'.repeat(2000))});`;

describe('dashboard routes', async () => {
  const logger = createLogger({
    level: 'silent',
    destination: new Writable({ write: (_c, _e, done) => done() }),
  });
  const { app, routes } = await createHttpApp({ logger, trustProxy: false, version: 'test' });
  registerDashboardRoutes(app, {
    assets: new Map([file(INDEX_PATH, INDEX), file('/assets/app-AAAA1111.js', SCRIPT)]),
  });
  await app.ready();
  afterAll(() => app.close());

  it('serves index.html at / for revalidation, under the strict CSP', async () => {
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    expect(response.body).toBe(INDEX);
  });

  it('serves hashed assets as immutable, gzipped when the client accepts it', async () => {
    const plain = await app.inject({ method: 'GET', url: '/assets/app-AAAA1111.js' });
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(SCRIPT);
    const gzipped = await app.inject({
      method: 'GET',
      url: '/assets/app-AAAA1111.js',
      headers: { 'accept-encoding': 'gzip, deflate, br' },
    });
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toContain('Accept-Encoding');
    expect(gunzipSync(gzipped.rawPayload).toString()).toBe(SCRIPT);
    expect(gzipped.rawPayload.length).toBeLessThan(SCRIPT.length / 4);
  });

  it('answers 304 to a matching If-None-Match', async () => {
    const first = await app.inject({ method: 'GET', url: '/' });
    const etag = String(first.headers.etag);
    const again = await app.inject({ method: 'GET', url: '/', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers an unknown asset with problem+json 404', async () => {
    const response = await app.inject({ method: 'GET', url: '/assets/app-OLD00000.js' });
    expect(response.statusCode).toBe(404);
    expect(response.headers['content-type']).toContain('application/problem+json');
  });

  it('declares every route public and hidden from the API description', () => {
    const mine = routes.filter((r) => r.url === '/' || r.url.startsWith('/assets/'));
    expect(mine.map((r) => `${r.method} ${r.url}`).sort()).toEqual(['GET /', 'GET /assets/:name']);
    expect(mine.every((r) => r.access.kind === 'public')).toBe(true);
  });
});
