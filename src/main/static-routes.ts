import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { FastifyReply } from 'fastify';
import { DEMO_WRITE_KEY_PLACEHOLDER, demoShopDir, type TrackerAssets } from '../modules/tracker/index.js';
import type { HttpApp } from '../platform/http/app.js';
import type { Logger } from '../platform/log.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
};

/**
 * `/footfall.js` (and the core build) for every role that takes events, and the demo shop at `/demo/`.
 * The demo's pages get the demo store's write key substituted for the placeholder.
 */
export function registerStaticRoutes(
  app: HttpApp,
  deps: {
    tracker: TrackerAssets;
    demoWriteKey: () => Promise<string | null>;
    logger: Logger;
    serveDemo: boolean;
  },
): void {
  for (const name of ['footfall.js', 'footfall.core.js'] as const) {
    app.get(
      `/${name}`,
      {
        config: { access: { kind: 'public' } },
        schema: {
          tags: ['tracker'],
          summary: `The browser tracker (${name}); long-cached when ?v= matches its content hash`,
          querystring: { type: 'object', properties: { v: { type: 'string', maxLength: 16 } } },
        },
      },
      async (request, reply) => {
        const asset = deps.tracker.get(name);
        const isVersioned = (request.query as { v?: string }).v === asset.version;
        reply
          .type('text/javascript; charset=utf-8')
          .header('Access-Control-Allow-Origin', '*')
          .header('Cross-Origin-Resource-Policy', 'cross-origin')
          .header('ETag', asset.etag)
          .header(
            'Cache-Control',
            isVersioned ? 'public, max-age=31536000, immutable' : 'public, max-age=300',
          );
        if (request.headers['if-none-match'] === asset.etag) return reply.code(304).send();
        return reply.send(asset.code);
      },
    );
  }

  if (!deps.serveDemo) return;
  async function serveDemoFile(wanted: string, reply: FastifyReply) {
    // Resolve inside the shop folder only: `..`, absolute paths and encoded tricks end up outside and 404.
    const path = normalize(join(demoShopDir, wanted));
    if (!path.startsWith(demoShopDir + sep) || !CONTENT_TYPES[extname(path)]) {
      return reply.code(404).type('text/plain').send('Not found');
    }
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch {
      return reply.code(404).type('text/plain').send('Not found');
    }
    reply.type(CONTENT_TYPES[extname(path)] as string).header('Cache-Control', 'no-cache');
    if (extname(path) === '.html') {
      const key = await deps.demoWriteKey();
      if (!key) {
        return reply
          .code(503)
          .type('text/plain')
          .send('The demo shop needs the demo store: run `npx footfall setup` and restart.');
      }
      return reply.send(body.toString('utf8').replaceAll(DEMO_WRITE_KEY_PLACEHOLDER, key));
    }
    return reply.send(body);
  }

  // `/demo` → `/demo/`, so the shop's relative links resolve. The router ignores trailing slashes, so this
  // route also receives `/demo/` itself: that one is the shop's index page.
  app.get(
    '/demo',
    { config: { access: { kind: 'public' } }, schema: { hide: true } },
    async (request, reply) =>
      request.url.split('?')[0] === '/demo' ? reply.redirect('/demo/') : serveDemoFile('index.html', reply),
  );
  app.get(
    '/demo/*',
    { config: { access: { kind: 'public' } }, schema: { hide: true } },
    async (request, reply) => serveDemoFile((request.params as { '*': string })['*'] || 'index.html', reply),
  );
}
