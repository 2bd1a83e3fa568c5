import { gzipSync } from 'node:zlib';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { notFound } from '../../platform/errors.js';
import type { HttpApp } from '../../platform/http/app.js';
import { type DashboardAssets, type DashboardFile, INDEX_PATH } from './dashboard.assets.js';

// Hashed names change with their content, so a browser may keep them for a year without asking again.
const IMMUTABLE = 'public, max-age=31536000, immutable';
// index.html names the current hashes: always revalidate it (cheap, thanks to the ETag).
const REVALIDATE = 'no-cache';

interface Served extends DashboardFile {
  gzipped: Buffer | null;
}

function prepare(file: DashboardFile): Served {
  const compressible = /^(text\/|application\/json|image\/svg)/.test(file.contentType);
  const gzipped = compressible ? gzipSync(file.body, { level: 9 }) : null;
  return { ...file, gzipped: gzipped && gzipped.length < file.body.length ? gzipped : null };
}

function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/.test(header);
}

function send(request: FastifyRequest, reply: FastifyReply, file: Served, cacheControl: string) {
  reply.header('Cache-Control', cacheControl);
  reply.header('ETag', file.etag);
  reply.header('Vary', 'Accept-Encoding');
  const ifNoneMatch = request.headers['if-none-match'];
  if (typeof ifNoneMatch === 'string' && ifNoneMatch.split(/\s*,\s*/).includes(file.etag)) {
    return reply.code(304).send();
  }
  reply.type(file.contentType);
  if (file.gzipped && acceptsGzip(request)) {
    reply.header('Content-Encoding', 'gzip');
    return reply.send(file.gzipped);
  }
  return reply.send(file.body);
}

/**
 * Serves the dashboard (a static Preact bundle) from the api role: `/` is index.html and `/assets/*` are its
 * content-hashed files. Public routes — the bundle holds no data; everything it shows comes from the API under
 * the user's session. The app's CSP (script-src 'self', no inline) applies to these responses too.
 */
export function registerDashboardRoutes(app: HttpApp, opts: { assets: DashboardAssets }): void {
  const files = new Map<string, Served>();
  for (const [path, file] of opts.assets) files.set(path, prepare(file));
  const index = files.get(INDEX_PATH);
  if (!index) throw new Error('the dashboard build has no index.html');

  app.get('/', { config: { access: { kind: 'public' } }, schema: { hide: true } }, async (request, reply) =>
    send(request, reply, index, REVALIDATE),
  );

  app.get(
    '/assets/:name',
    {
      config: { access: { kind: 'public' } },
      schema: { hide: true, params: Type.Object({ name: Type.String({ maxLength: 120 }) }) },
    },
    async (request, reply) => {
      const file = files.get(`/assets/${request.params.name}`);
      if (!file) throw notFound('Asset');
      return send(request, reply, file, IMMUTABLE);
    },
  );
}
