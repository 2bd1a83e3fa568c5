/**
 * A minimal API process for the multi-process test: its own cron module (own instance id, own pool) over the
 * shared test database, the cron routes, and the fixture jobs. Run with
 * `node --import tsx cron-fixture-server.ts --db <url> --instance <id>`; it prints `{"port":N}` when listening.
 */
import { parseArgs } from 'node:util';
import { systemClock } from '../../../platform/clock.js';
import { parseDatabaseUrl } from '../../../platform/config.js';
import { createDatabase } from '../../../platform/db/database.js';
import { createHttpApp } from '../../../platform/http/app.js';
import { createIds } from '../../../platform/ids.js';
import { createLogger } from '../../../platform/log.js';
import { createCronModule, registerCronRoutes } from '../index.js';
import { countingJob, FIXTURE_JOBS } from './fixture-jobs.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      db: { type: 'string' },
      instance: { type: 'string' },
      'log-level': { type: 'string' },
      // This instance's clock runs this far ahead of the machine's (negative: behind), like a host whose NTP
      // is off: leases must not depend on it.
      'clock-offset-ms': { type: 'string' },
    },
  });
  if (!values.db || !values.instance)
    throw new Error('usage: cron-fixture-server --db <url> --instance <id>');
  const logger = createLogger({ level: values['log-level'] ?? 'silent', name: values.instance });
  const database = createDatabase(parseDatabaseUrl(values.db, '/tmp'), { poolSize: 10 });
  const offsetMs = Number(values['clock-offset-ms'] ?? 0);
  const clock = offsetMs === 0 ? systemClock : { nowMs: () => Date.now() + offsetMs };
  const cron = createCronModule({
    database,
    clock,
    ids: createIds(clock),
    logger,
    instanceId: values.instance,
  });
  cron.register(countingJob(FIXTURE_JOBS.once));
  cron.register(countingJob(FIXTURE_JOBS.crash));
  cron.register(countingJob(FIXTURE_JOBS.pause));
  cron.register(countingJob(FIXTURE_JOBS.skew));
  cron.register(countingJob(FIXTURE_JOBS.replay));
  const { app } = await createHttpApp({ logger, trustProxy: false, version: 'fixture' });
  registerCronRoutes(app, cron);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`${JSON.stringify({ port })}\n`);
  const stop = async () => {
    await app.close();
    await cron.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
