import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { type HttpApp, sendProblem } from '../../platform/http/app.js';
import type { CronModule } from './cron.module.js';
import { listJobsSchema, listRunsSchema, runJobSchema, tickSchema } from './cron.schemas.js';
import type { RunOutcome } from './cron.types.js';

const CRON_ACCESS = { access: { kind: 'cron' as const } };

/** The public shape of an outcome: `slotMs` is internal convenience. */
function toAnswer(outcome: RunOutcome) {
  return {
    job: outcome.job,
    slot: outcome.slot,
    status: outcome.status,
    runId: outcome.runId,
    dryRun: outcome.dryRun,
    result: outcome.result,
    error: outcome.error,
  };
}

/**
 * The cron endpoints. Each declares `access: cron` and authenticates the bearer token itself in a route-level
 * onRequest hook (before the body is read), so nothing else in the app needs to know about cron tokens.
 * A run's failure is an answer (200, `status: "failed"`), not an HTTP error: the request itself succeeded.
 */
export function registerCronRoutes(app: HttpApp, cron: CronModule): void {
  async function authenticate(request: FastifyRequest, reply: FastifyReply) {
    const result = await cron.authenticate(request.headers.authorization);
    if (result.ok) return;
    const challenge =
      result.error.code === 'unauthenticated'
        ? 'Bearer realm="footfall-cron"'
        : 'Bearer realm="footfall-cron", error="invalid_token"';
    reply.header('WWW-Authenticate', challenge);
    return sendProblem(reply, request, result.error);
  }

  app.post(
    '/api/cron/tick',
    { config: CRON_ACCESS, schema: tickSchema, onRequest: authenticate },
    async () => {
      const outcomes = await cron.tick();
      if (!outcomes.ok) throw outcomes.error;
      return { runs: outcomes.value.map(toAnswer) };
    },
  );

  app.get(
    '/api/cron/runs',
    { config: CRON_ACCESS, schema: listRunsSchema, onRequest: authenticate },
    async (request) => {
      const page = await cron.listRuns(request.query);
      if (!page.ok) throw page.error;
      return page.value;
    },
  );

  app.get(
    '/api/cron/jobs',
    { config: CRON_ACCESS, schema: listJobsSchema, onRequest: authenticate },
    async () => ({
      items: await cron.listJobs(),
    }),
  );

  // The dashboard's read-only view: the same history and jobs for owners and admins signed in (cron:read),
  // since a browser never holds the scheduler's token. Writes stay with the token.
  const OrgParams = Type.Object({ orgId: Type.String() });
  app.get(
    '/api/v1/orgs/:orgId/cron/runs',
    {
      config: { access: { kind: 'org', permission: 'cron:read' } },
      schema: { ...listRunsSchema, security: [{ session: [] }], params: OrgParams },
    },
    async (request) => {
      const page = await cron.listRuns(request.query);
      if (!page.ok) throw page.error;
      return page.value;
    },
  );
  app.get(
    '/api/v1/orgs/:orgId/cron/jobs',
    {
      config: { access: { kind: 'org', permission: 'cron:read' } },
      schema: { ...listJobsSchema, security: [{ session: [] }], params: OrgParams },
    },
    async () => ({ items: await cron.listJobs() }),
  );

  app.post(
    '/api/cron/:job',
    { config: CRON_ACCESS, schema: runJobSchema, onRequest: authenticate },
    async (request) => {
      const outcome = await cron.run(request.params.job, {
        slot: request.query.slot,
        dryRun: request.query.dryRun ?? false,
        retryFailed: true,
      });
      if (!outcome.ok) throw outcome.error;
      return toAnswer(outcome.value);
    },
  );
}
