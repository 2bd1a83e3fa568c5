import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/harness/databases.js';
import { compressPages, compressRows, type MigrationContext } from './schema.js';

async function tableOptions(ctx: MigrationContext, table: string) {
  const { rows } = await sql<{ rowFormat: string; options: string }>`
    select row_format as rowFormat, create_options as options from information_schema.tables
    where table_schema = database() and table_name = ${table}`.execute(ctx.db);
  const found = rows[0];
  if (!found) throw new Error(`no table ${table}`);
  return { rowFormat: found.rowFormat.toLowerCase(), options: found.options.toLowerCase() };
}

// The local server is MariaDB (the project's CI server); these hold MariaDB's page compression to its promise.
describe('table compression on MariaDB', () => {
  let testDb: TestDatabase;
  let ctx: MigrationContext;

  beforeAll(async () => {
    testDb = await createTestDatabase('mysql');
    ctx = { db: testDb.database.typed(), dialect: 'mysql' };
  });
  afterAll(() => testDb.drop());

  it('stores the tables that grow with events with compressed pages after migrating', async () => {
    for (const table of ['events', 'report_sessions', 'report_visitor_days']) {
      const { rowFormat, options } = await tableOptions(ctx, table);
      expect({ table, rowFormat }).toEqual({ table, rowFormat: 'dynamic' });
      expect(options).toContain("`page_compressed`='1'");
      expect(options).not.toContain('key_block_size=8');
    }
  });

  it('turns compressed rows into compressed pages and keeps every row', async () => {
    await sql`create table squeeze_me (id bigint primary key, body text)`.execute(ctx.db);
    await compressRows(ctx, 'squeeze_me');
    expect((await tableOptions(ctx, 'squeeze_me')).rowFormat).toBe('compressed');
    const values = Array.from({ length: 500 }, (_, i) => sql`(${i}, ${`row ${i} `.repeat(40)})`);
    await sql`insert into squeeze_me (id, body) values ${sql.join(values)}`.execute(ctx.db);

    await compressPages(ctx, 'squeeze_me');

    const after = await tableOptions(ctx, 'squeeze_me');
    expect(after.rowFormat).toBe('dynamic');
    expect(after.options).toContain("`page_compressed`='1'");
    const { rows } = await sql<{ n: number; last: string }>`
      select count(*) as n, max(case when id = 499 then body end) as last from squeeze_me`.execute(ctx.db);
    expect(Number(rows[0]?.n)).toBe(500);
    expect(rows[0]?.last).toBe('row 499 '.repeat(40));
  });

  it('leaves a table an operator keeps uncompressed as it is', async () => {
    await sql`create table keep_me (id bigint primary key) row_format=dynamic`.execute(ctx.db);
    await compressPages(ctx, 'keep_me');
    const after = await tableOptions(ctx, 'keep_me');
    expect(after.rowFormat).toBe('dynamic');
    expect(after.options).not.toContain('page_compressed');
  });

  it('can be undone on a running server the way docs/DEPLOY.md tells operators', async () => {
    await sql`create table undo_me (id bigint primary key) row_format=compressed key_block_size=8`.execute(
      ctx.db,
    );
    await compressPages(ctx, 'undo_me');
    await sql`alter table undo_me page_compressed=0 page_compression_level=default`.execute(ctx.db);
    expect((await tableOptions(ctx, 'undo_me')).options).not.toContain("`page_compressed`='1'");
    // A later migration leaves it uncompressed.
    await compressPages(ctx, 'undo_me');
    expect((await tableOptions(ctx, 'undo_me')).options).not.toContain("`page_compressed`='1'");
  });
});
