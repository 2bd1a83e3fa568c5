import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/harness/databases.js';
import { EVENT_COLUMN_DEFAULTS, EVENT_COLUMNS } from './events.repository.js';

/** The schema's default of each events column: null (NULL), a number, or 'required' (NOT NULL, no default). */
async function schemaDefaults(testDb: TestDatabase): Promise<Map<string, null | number | 'required'>> {
  const db = testDb.database.typed<unknown>();
  const defaults = new Map<string, null | number | 'required'>();
  const read = (notNull: boolean, fallback: string | null) =>
    fallback === null || fallback.toUpperCase() === 'NULL' ? (notNull ? 'required' : null) : Number(fallback);
  if (testDb.database.dialect === 'mysql') {
    const { rows } = await sql<{ name: string; nullable: string; fallback: string | null }>`
      select column_name as name, is_nullable as nullable, column_default as fallback
      from information_schema.columns where table_schema = database() and table_name = 'events'`.execute(db);
    for (const row of rows) defaults.set(row.name, read(row.nullable === 'NO', row.fallback));
  } else {
    const { rows } = await sql<{ name: string; notnull: number; dflt_value: string | null }>`
      select name, "notnull", dflt_value from pragma_table_info('events')`.execute(db);
    for (const row of rows) defaults.set(row.name, read(row.notnull === 1, row.dflt_value));
  }
  return defaults;
}

describe.each(DIALECTS)('the events insert on %s', (dialect) => {
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase(dialect);
  });
  afterAll(() => testDb.drop());

  it('leaves out only columns whose schema default is the value it takes for them', async () => {
    const schema = await schemaDefaults(testDb);
    for (const column of EVENT_COLUMNS) {
      const assumed = EVENT_COLUMN_DEFAULTS.has(column) ? EVENT_COLUMN_DEFAULTS.get(column) : 'required';
      expect({ column, default: schema.get(column) }).toEqual({ column, default: assumed });
    }
  });
});
