import { createTestDatabase, type TestDatabase } from '../../../../test/harness/databases.js';
import type { Clock } from '../../../platform/clock.js';
import type { Dialect } from '../../../platform/db/database.js';
import { migrateToLatest } from '../../../platform/db/migrator.js';
import { createIds } from '../../../platform/ids.js';
import { createLogger } from '../../../platform/log.js';
import { type CronModule, type CronModuleConfig, createCronModule, cronMigrations } from '../index.js';
import { createFixtureTables } from './fixture-jobs.js';

export const silentLogger = createLogger({ level: 'silent' });

/**
 * A test database with the cron tables and the fixture tables. It migrates only cron's migrations, so these
 * suites do not depend on every other module's schema being in place.
 */
export async function createCronTestDatabase(dialect: Dialect): Promise<TestDatabase> {
  const testDatabase = await createTestDatabase(dialect, { migrate: false });
  await migrateToLatest(testDatabase.database, cronMigrations);
  await createFixtureTables(testDatabase.database);
  return testDatabase;
}

export function createTestCronModule(
  testDatabase: TestDatabase,
  options: { clock: Clock; instanceId: string; config?: CronModuleConfig },
): CronModule {
  return createCronModule({
    database: testDatabase.database,
    clock: options.clock,
    ids: createIds(options.clock),
    logger: silentLogger,
    instanceId: options.instanceId,
    config: options.config,
  });
}

/** A promise the test resolves when it chooses: stalls a handler at a precise point. */
export interface Gate {
  wait(): Promise<void>;
  open(): void;
  /** Resolves once some handler is waiting at the gate. */
  reached: Promise<void>;
}

export function createGate(): Gate {
  let open!: () => void;
  let reached!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  const reachedPromise = new Promise<void>((resolve) => {
    reached = resolve;
  });
  return {
    wait: () => {
      reached();
      return opened;
    },
    open,
    reached: reachedPromise,
  };
}

let counter = 0;
/** Job names unique within a test file, so the suites can share one database per dialect. */
export function uniqueJobName(base: string): string {
  counter += 1;
  return `${base}-${counter}`;
}
