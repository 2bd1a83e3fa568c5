import { join } from 'node:path';
import { registerAccountsRoutes } from '../modules/accounts/index.js';
import { registerAuditRoutes } from '../modules/audit/index.js';
import { registerCronRoutes } from '../modules/cron/index.js';
import {
  type DashboardAssets,
  readDashboardBuild,
  registerDashboardRoutes,
} from '../modules/dashboard/index.js';
import { registerIngestRoutes } from '../modules/ingest/index.js';
import { registerKeysRoutes } from '../modules/keys/index.js';
import { registerPipelineRoutes } from '../modules/pipeline/index.js';
import { registerPrivacyRoutes } from '../modules/privacy/index.js';
import { registerReportsRoutes } from '../modules/reports/index.js';
import { registerStoresRoutes } from '../modules/stores/index.js';
import { createTrackerAssets } from '../modules/tracker/index.js';
import type { Role } from '../platform/config.js';
import { createHttpApp, type HttpApp, type RegisteredRoute } from '../platform/http/app.js';
import { repoRoot } from '../platform/paths.js';
import type { Services } from './modules.js';
import { createDemoWriteKeyProvider } from './setup.js';
import { registerStaticRoutes } from './static-routes.js';
import { VERSION } from './version.js';

/** The HTTP surface of one role: `api` (management, dashboard, cron), `ingest` (tracking API), both for `all`. */
export async function buildHttpApp(
  services: Services,
  options: {
    role: Role;
    /** The dashboard to serve instead of dist/dashboard (tests serve a fresh in-memory build). */
    dashboardAssets?: DashboardAssets;
  },
): Promise<{ app: HttpApp; routes: RegisteredRoute[] }> {
  const { app, routes } = await createHttpApp({
    logger: services.logger,
    trustProxy: services.config.trustProxy,
    version: VERSION,
  });
  app.decorateRequest('context', null);
  // Access runs before validation: a caller without access learns nothing, not even what a valid body is.
  app.addHook('preValidation', services.access.enforce);

  app.get(
    '/healthz',
    {
      config: { access: { kind: 'public' } },
      schema: { tags: ['operations'], summary: 'The process is up' },
    },
    async () => ({ status: 'ok', version: VERSION, role: options.role }),
  );
  app.get(
    '/readyz',
    {
      config: { access: { kind: 'public' } },
      schema: { tags: ['operations'], summary: 'Database and Redis reachable (503 otherwise)' },
    },
    async (_request, reply) => {
      const checks: Record<string, string> = {};
      try {
        await services.database.ping();
        checks.database = 'ok';
      } catch {
        checks.database = 'unreachable';
      }
      if (services.redis) {
        try {
          await services.redis.ping();
          checks.redis = 'ok';
        } catch {
          checks.redis = 'unreachable';
        }
      }
      const ready = Object.values(checks).every((v) => v === 'ok');
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', checks });
    },
  );

  const servesApi = options.role === 'all' || options.role === 'api';
  const servesIngest = options.role === 'all' || options.role === 'ingest';
  if (servesApi || servesIngest) {
    registerStaticRoutes(app, {
      tracker: await createTrackerAssets(),
      demoWriteKey: createDemoWriteKeyProvider(services),
      logger: services.logger,
      serveDemo: servesApi,
    });
  }
  if (servesApi) {
    registerAccountsRoutes(app, { accounts: services.accounts });
    registerStoresRoutes(app, {
      stores: services.stores,
      organizationPublicId: async (id) =>
        (await services.accounts.findOrganizationById(id))?.publicId ?? 'org_unknown',
    });
    registerKeysRoutes(app, { keys: services.keys, stores: services.stores });
    registerAuditRoutes(app, { audit: services.audit });
    registerCronRoutes(app, services.cron);
    registerPipelineRoutes(app, {
      events: services.pipeline.events,
      orders: services.pipeline.orders,
      deadLetters: services.pipeline.deadLetters,
    });
    registerPrivacyRoutes(app, { privacy: services.privacy, stores: services.stores });
    registerReportsRoutes(app, { reports: services.reports.service });
    // The dashboard is served from its build (npm run build, which `npm start` runs first).
    const assets =
      options.dashboardAssets ?? (await readDashboardBuild(join(repoRoot(), 'dist', 'dashboard')))?.files;
    if (assets) registerDashboardRoutes(app, { assets });
    else services.logger.warn('the dashboard is not built: run `npm run build` to serve it at /');
  }
  if (servesIngest)
    registerIngestRoutes(app, { ingest: services.ingest, trustProxy: services.config.trustProxy });
  return { app, routes };
}
