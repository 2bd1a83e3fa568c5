import { systemClock } from '../platform/clock.js';
import { type Config, loadConfig } from '../platform/config.js';
import { createDatabase } from '../platform/db/database.js';
import { migrateToLatest } from '../platform/db/migrator.js';
import { createLogger, type Logger } from '../platform/log.js';
import { createRedis, waitForRedis } from '../platform/redis.js';
import { allMigrations, createServices, type Services } from './modules.js';

/** Opens the database (and Redis), migrates, and wires the services: shared by `serve` and the CLI. */
export async function openRuntime(options: {
  config?: Config;
  logger?: Logger;
  migrate?: boolean;
  name?: string;
}): Promise<Services & { shutdown(): Promise<void> }> {
  const config = options.config ?? loadConfig();
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: options.name });
  const database = createDatabase(config.database);
  try {
    await database.ping();
  } catch (error) {
    await database.close().catch(() => undefined);
    const where = config.database.kind === 'mysql' ? new URL(config.database.url).host : config.database.path;
    throw new Error(`cannot reach the database at ${where}: ${(error as Error).message}`);
  }
  if (options.migrate !== false) await migrateToLatest(database, allMigrations);
  let redis = null;
  if (config.redisUrl) {
    redis = createRedis(config.redisUrl, { name: options.name });
    redis.on('error', (error) => logger.warn({ err: error.message }, 'redis error'));
    await waitForRedis(redis, 5000).catch((error: Error) => {
      logger.warn({ err: error.message }, 'redis is not reachable yet; ingest answers 503 until it is');
    });
  }
  const services = await createServices({ config, logger, database, redis, clock: systemClock });
  return {
    ...services,
    async shutdown() {
      await services.cron.close({ timeoutMs: 10_000 });
      if (redis) redis.disconnect();
      await database.close();
    },
  };
}
