import { CompiledQuery } from 'kysely';
import type { Database, TransactionHandle } from './database.js';

/**
 * A multi-row INSERT assembled as text with placeholders. For a thousand rows of thirty-odd columns a query
 * builder's own bookkeeping (a node per value, then compiling them) cost as much as the database's work.
 * Rows go at most 1,000 per statement (PlanetScale's limit), and on SQLite within its 32,766 parameters.
 * With `skipConflictsOn`, rows that collide with an existing unique key are skipped (MySQL `INSERT IGNORE`,
 * SQLite `ON CONFLICT (…) DO NOTHING`, which unlike `INSERT OR IGNORE` still fails on any other constraint).
 * Returns how many rows were inserted.
 */
export async function insertRows(
  database: Database,
  tx: TransactionHandle | undefined,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  options: { skipConflictsOn?: readonly string[] } = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const mysql = database.dialect === 'mysql';
  const quote = mysql ? (name: string) => `\`${name}\`` : (name: string) => `"${name}"`;
  const skip = options.skipConflictsOn;
  const perStatement = mysql ? 1000 : Math.min(1000, Math.floor(32_000 / columns.length));
  const head = `insert${skip && mysql ? ' ignore' : ''} into ${quote(table)} (${columns.map(quote).join(', ')}) values `;
  const tail = skip && !mysql ? ` on conflict (${skip.map(quote).join(', ')}) do nothing` : '';
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const db = database.typed<unknown>(tx);
  let inserted = 0;
  for (let i = 0; i < rows.length; i += perStatement) {
    const part = rows.slice(i, i + perStatement);
    const parameters: unknown[] = [];
    for (const row of part) for (const value of row) parameters.push(value);
    const text = head + new Array<string>(part.length).fill(tuple).join(', ') + tail;
    const result = await db.executeQuery(CompiledQuery.raw(text, parameters));
    inserted += Number(result.numAffectedRows ?? 0n);
  }
  return inserted;
}
