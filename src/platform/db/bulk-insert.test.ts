import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/harness/databases.js';
import { insertRows } from './bulk-insert.js';

/** Strings heavy in what a literal must escape (and in what it need not), among any other text. */
const awkwardText = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc
    .array(
      fc.constantFrom("'", '\\', '\0', '\n', '\r', '\x1a', '"', '\t', '\b', '%', '_', '?', 'é', '😀', 'a'),
    )
    .map((parts) => parts.join('')),
  fc.jsonValue().map((value) => JSON.stringify(value)),
);

// Numbers as Footfall stores them: integers (ids, epoch milliseconds) and money with four decimals. (A double
// with more digits comes back from MariaDB's DOUBLE column a unit in the last place off at times, whoever writes
// the literal: mysql2 wrote the same digits.)
const row = fc.record({
  text: fc.option(awkwardText, { nil: null }),
  bytes: fc.option(fc.uint8Array({ maxLength: 24 }), { nil: null }),
  integer: fc.option(fc.maxSafeInteger(), { nil: null }),
  money: fc.option(
    fc.integer({ min: -(10 ** 12), max: 10 ** 12 }).map((units) => units / 10_000),
    { nil: null },
  ),
});

describe.each(DIALECTS)('insertRows on %s', (dialect) => {
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestDatabase(dialect, { migrate: false });
    const db = testDb.database.typed<unknown>();
    const text = dialect === 'mysql' ? sql`longtext character set utf8mb4` : sql`text`;
    const bytes = dialect === 'mysql' ? sql`varbinary(64)` : sql`blob`;
    const money = dialect === 'mysql' ? sql`decimal(22,4)` : sql`real`;
    await sql`create table literals (id integer primary key, t ${text}, b ${bytes}, k bigint, m ${money})`.execute(
      db,
    );
    await sql`create table defaults (id integer primary key, t ${text}, k bigint, d integer not null default 7)`.execute(
      db,
    );
  });
  afterAll(() => testDb.drop());

  it('stores every string, byte string and number exactly as given', async () => {
    const db = testDb.database.typed<unknown>();
    let nextId = 1;
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), async (rows) => {
        const firstId = nextId;
        const values = rows.map((r) => [
          nextId++,
          r.text,
          r.bytes === null ? null : Buffer.from(r.bytes),
          r.integer,
          r.money,
        ]);
        const columns = ['id', 't', 'b', 'k', 'm'];
        const inserted = await insertRows(testDb.database, undefined, 'literals', columns, values);
        expect(inserted).toBe(rows.length);
        const { rows: stored } = await sql<{
          t: string | null;
          b: Uint8Array | null;
          k: number | string | null;
          m: number | string | null;
        }>`select t, b, k, m from literals where id >= ${firstId} order by id`.execute(db);
        const zero = (n: number | null) => (n === 0 ? 0 : n); // -0 is stored as 0
        expect(
          stored.map((s) => ({
            text: s.t,
            bytes: s.b === null ? null : new Uint8Array(s.b),
            integer: s.k === null ? null : Number(s.k),
            money: s.m === null ? null : Number(s.m),
          })),
        ).toEqual(rows.map((r) => ({ ...r, integer: zero(r.integer), money: zero(r.money) })));
      }),
      { numRuns: 60 },
    );
  });

  it('leaves out columns that hold their default in every row, and stores the same rows', async () => {
    const db = testDb.database.typed<unknown>();
    const defaults = new Map<string, null | number>([
      ['t', null],
      ['k', null],
      ['d', 7],
    ]);
    let nextId = 1;
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            t: fc.option(fc.string(), { nil: null, freq: 2 }),
            k: fc.option(fc.integer(), { nil: null, freq: 2 }),
            d: fc.constantFrom(7, 7, 0, -1),
          }),
          { minLength: 1, maxLength: 6 },
        ),
        async (rows) => {
          const firstId = nextId;
          const values = rows.map((r) => [nextId++, r.t, r.k, r.d]);
          const inserted = await insertRows(
            testDb.database,
            undefined,
            'defaults',
            ['id', 't', 'k', 'd'],
            values,
            {
              omitWhenDefault: defaults,
            },
          );
          expect(inserted).toBe(rows.length);
          const { rows: stored } = await sql<{
            t: string | null;
            k: number | string | null;
            d: number;
          }>`select t, k, d from defaults where id >= ${firstId} order by id`.execute(db);
          expect(
            stored.map((s) => ({ t: s.t, k: s.k === null ? null : Number(s.k), d: Number(s.d) })),
          ).toEqual(rows);
        },
      ),
      { numRuns: 60 },
    );
  });
});
