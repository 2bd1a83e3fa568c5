import { type Migration, Migrator } from 'kysely';
import type { Database } from './database.js';
import type { ModuleMigration } from './schema.js';

/**
 * Runs every module's migrations, forward only, in name order. Kysely's migrator takes a lock table, so N
 * instances starting together apply each migration once.
 */
export async function migrateToLatest(
  database: Database,
  migrations: readonly ModuleMigration[],
): Promise<{ applied: string[] }> {
  const db = database.typed<unknown>();
  const byName: Record<string, Migration> = {};
  for (const migration of migrations) {
    if (byName[migration.name]) throw new Error(`duplicate migration name ${migration.name}`);
    byName[migration.name] = { up: (kysely) => migration.up({ db: kysely, dialect: database.dialect }) };
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => byName },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
    // Modules add migrations independently; order among them is by name, and a late-merged older name still runs.
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error');
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed: ${reason}`);
  }
  return { applied: (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName) };
}
