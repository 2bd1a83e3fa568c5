import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../harness/app.js';

describe('tracker and demo shop routes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('sqlite');
    const system = { type: 'system' as const, id: null, label: 'test' };
    const organization = await t.services.accounts.createOrganization('Demo Organization', system);
    await t.services.stores.create(organization.id, { name: 'Demo Store' }, system);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves footfall.js with CORS, an ETag, and a year of cache only for the current version', async () => {
    const plain = await t.app.inject({ method: 'GET', url: '/footfall.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toMatch(/text\/javascript/);
    expect(plain.headers['access-control-allow-origin']).toBe('*');
    expect(plain.headers['cache-control']).toBe('public, max-age=300');
    const etag = String(plain.headers.etag);
    const version = etag.slice(1, 9);
    const versioned = await t.app.inject({ method: 'GET', url: `/footfall.js?v=${version}` });
    expect(versioned.headers['cache-control']).toContain('immutable');
    const stale = await t.app.inject({ method: 'GET', url: '/footfall.js?v=00000000' });
    expect(stale.headers['cache-control']).toBe('public, max-age=300');
    const cached = await t.app.inject({
      method: 'GET',
      url: '/footfall.js',
      headers: { 'if-none-match': etag },
    });
    expect(cached.statusCode).toBe(304);
  });

  it('serves the demo shop with a working write key in place of the placeholder', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/demo' })).headers.location).toBe('/demo/');
    const index = await t.app.inject({ method: 'GET', url: '/demo/' });
    expect(index.statusCode).toBe(200);
    const key = /data-write-key="([^"]+)"/.exec(index.body)?.[1];
    expect(key).toMatch(/^ff_pub_/);
    const auth = await t.services.keys.authenticate(key);
    expect(auth?.key.type).toBe('publishable');
    const product = await t.app.inject({ method: 'GET', url: '/demo/product.html' });
    expect(product.body).toContain(String(key));
    expect((await t.app.inject({ method: 'GET', url: '/demo/shop.css' })).headers['content-type']).toMatch(
      /text\/css/,
    );
  });

  it.each([
    '/demo/../package.json',
    '/demo/%2e%2e/package.json',
    '/demo/..%2fpackage.json',
    '/demo/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
    '/demo/img/../../../src/platform/config.ts',
  ])('refuses path traversal: %s', async (url) => {
    const response = await t.app.inject({ method: 'GET', url });
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('"name": "footfall"');
    expect(response.body).not.toContain('root:');
  });
});
