import { type Expression, type Kysely, type SqlBool, sql } from 'kysely';

/**
 * Deletes at most `limit` rows of `table` matching `where`, lowest ids first, and returns how many went.
 * The ids are read first because MySQL refuses `LIMIT` inside an `IN (subquery)`; callers loop until 0, so each
 * statement stays within the maintenance limit (10,000 rows) on every dialect.
 */
export async function deleteChunk<DB>(
  db: Kysely<DB>,
  table: keyof DB & string,
  where: Expression<SqlBool>,
  limit: number,
): Promise<number> {
  const ids = await sql<{
    id: number;
  }>`select id from ${sql.table(table)} where ${where} order by id limit ${limit}`.execute(db);
  if (ids.rows.length === 0) return 0;
  const result =
    await sql`delete from ${sql.table(table)} where id in (${sql.join(ids.rows.map((r) => r.id))})`.execute(
      db,
    );
  return Number(result.numAffectedRows ?? 0n);
}
