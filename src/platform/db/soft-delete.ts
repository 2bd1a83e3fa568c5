import { type Expression, type Kysely, type SelectQueryBuilder, type SqlBool, sql } from 'kysely';

/**
 * Soft delete, implemented once. Entity reads go through `selectEntities`, which hides deleted rows unless
 * the caller asks `withDeleted` — so "forgot the WHERE" cannot happen in a repository.
 */
export interface ReadOptions {
  withDeleted?: boolean;
}

export function isAlive(table?: string): Expression<SqlBool> {
  return sql<SqlBool>`${sql.ref(table ? `${table}.deleted_at` : 'deleted_at')} is null`;
}

export function selectEntities<DB, T extends keyof DB & string>(
  db: Kysely<DB>,
  table: T,
  options: ReadOptions = {},
  // biome-ignore lint/complexity/noBannedTypes: Kysely's own "nothing selected yet" type
): SelectQueryBuilder<DB, T, {}> {
  // Kysely cannot resolve selectFrom over a generic table name; the cast restores the precise type.
  // biome-ignore lint/complexity/noBannedTypes: as above
  const query = db.selectFrom(table as never) as unknown as SelectQueryBuilder<DB, T, {}>;
  return options.withDeleted ? query : query.where(isAlive(table));
}

/** Marks rows deleted; returns how many changed (already-deleted rows are left with their first time). */
export async function softDeleteWhere<DB>(
  db: Kysely<DB>,
  table: keyof DB & string,
  where: Expression<SqlBool>,
  nowMs: number,
): Promise<number> {
  const result = await sql`update ${sql.table(table)} set deleted_at = ${nowMs}, updated_at = ${nowMs}
    where deleted_at is null and ${where}`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

export async function restoreWhere<DB>(
  db: Kysely<DB>,
  table: keyof DB & string,
  where: Expression<SqlBool>,
  nowMs: number,
): Promise<number> {
  const result = await sql`update ${sql.table(table)} set deleted_at = null, updated_at = ${nowMs}
    where deleted_at is not null and ${where}`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}
