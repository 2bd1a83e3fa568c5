import { CompiledQuery } from 'kysely';
import { escape as escapeSqlValue } from 'mysql2';
import { type Database, type Dialect, MYSQL_TIME_ZONE, type TransactionHandle } from './database.js';

/** An identifier quoted for the dialect (names from our own code, never from input). */
export function quoteIdentifier(dialect: Dialect, name: string): string {
  return dialect === 'mysql' ? `\`${name}\`` : `"${name}"`;
}

// What is written with a backslash inside a single-quoted MySQL string (backslash escapes on): the quote, the
// backslash, and the characters MySQL's own mysql_real_escape_string writes as \0, \n, \r and \Z.
// biome-ignore lint/suspicious/noControlCharactersInRegex: NUL and Ctrl-Z are exactly what this looks for
const SPECIAL = /[\0\n\r\x1a'\\]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: as above
const SPECIALS = /[\0\n\r\x1a'\\]/g;
const ESCAPED: Readonly<Record<string, string>> = {
  '\0': '\\0',
  '\n': '\\n',
  '\r': '\\r',
  '\x1a': '\\Z',
  "'": "\\'",
  '\\': '\\\\',
};
const escapeSpecial = (char: string) => ESCAPED[char] as string;

/**
 * A value as a MySQL literal that the server reads back as the value itself. Strings, numbers, NULL and
 * binary go the short way: mysql2's `escape` also puts a backslash before every `"` and tab, which no
 * single-quoted literal needs and a JSON column is full of, and it checked each Buffer for a date first.
 * Anything else (dates, booleans) is mysql2's. Assumes the server's default backslash escapes, as mysql2 does.
 */
export function mysqlLiteral(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return SPECIAL.test(value) ? `'${value.replace(SPECIALS, escapeSpecial)}'` : `'${value}'`;
    case 'number':
      return `${value}`;
  }
  if (value === null || value === undefined) return 'NULL';
  if (Buffer.isBuffer(value)) return `X'${value.toString('hex')}'`;
  return escapeSqlValue(value as Parameters<typeof escapeSqlValue>[0], false, MYSQL_TIME_ZONE);
}

/**
 * `head` + one tuple per row + `tail` as one query: on MySQL with the values escaped into the text (see
 * insertRows), on SQLite with `?` placeholders and the values as parameters. `head` and `tail` are SQL
 * written in our code.
 */
export function multiRowQuery(
  dialect: Dialect,
  head: string,
  rows: readonly (readonly unknown[])[],
  tail = '',
): CompiledQuery {
  if (dialect === 'mysql') {
    // One string grown in place: an array of literals per row, joined, then the rows joined, took half as long
    // again (1,000 events rows: 3.3-4.4 µs a row against 2.4-3.1).
    let text = head;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as readonly unknown[];
      text += r === 0 ? '(' : ', (';
      for (let c = 0; c < row.length; c++)
        text += c === 0 ? mysqlLiteral(row[c]) : `, ${mysqlLiteral(row[c])}`;
      text += ')';
    }
    return CompiledQuery.raw(text + tail, []);
  }
  const parameters: unknown[] = [];
  for (const row of rows) for (const value of row) parameters.push(value);
  const placeholders = `(${(rows[0] ?? []).map(() => '?').join(', ')})`;
  return CompiledQuery.raw(
    head + new Array<string>(rows.length).fill(placeholders).join(', ') + tail,
    parameters,
  );
}

/**
 * A multi-row INSERT assembled as text with placeholders. For a thousand rows of thirty-odd columns a query
 * builder's own bookkeeping (a node per value, then compiling them) cost as much as the database's work. Rows
 * go at most 1,000 per statement (PlanetScale's limit), and on SQLite within its 32,766 parameters. With
 * `skipConflictsOn`, rows that collide with an existing unique key are skipped (MySQL `INSERT IGNORE`, SQLite
 * `ON CONFLICT (…) DO NOTHING`, which unlike `INSERT OR IGNORE` still fails on any other constraint). Returns
 * how many rows were inserted.
 *
 * On MySQL the values are escaped here (`mysqlLiteral`) and written into the text: formatting a placeholder
 * statement made mysql2 scan the whole statement, up to a megabyte, for its 35,000 placeholders, and splice
 * it, on every batch.
 *
 * `omitWhenDefault` maps columns to their default (NULL, or a number): a statement leaves out each of them
 * that holds its default in all its rows, which stores the same rows. The server parses every value of a
 * multi-row INSERT as a token of its own, and most events leave a third of the events columns at their
 * default (group, previous id, traits, the order fields of a page view).
 */
export async function insertRows(
  database: Database,
  tx: TransactionHandle | undefined,
  table: string,
  columns: readonly string[],
  rows: readonly (readonly unknown[])[],
  options: { skipConflictsOn?: readonly string[]; omitWhenDefault?: ReadonlyMap<string, null | number> } = {},
): Promise<number> {
  if (rows.length === 0) return 0;
  const mysql = database.dialect === 'mysql';
  const quote = (name: string) => quoteIdentifier(database.dialect, name);
  const skip = options.skipConflictsOn;
  const perStatement = mysql ? 1000 : Math.min(1000, Math.floor(32_000 / columns.length));
  const headOf = (names: readonly string[]) =>
    `insert${skip && mysql ? ' ignore' : ''} into ${quote(table)} (${names.map(quote).join(', ')}) values `;
  const head = headOf(columns);
  const tail = skip && !mysql ? ` on conflict (${skip.map(quote).join(', ')}) do nothing` : '';
  const omittable = options.omitWhenDefault;
  const db = database.typed<unknown>(tx);
  let inserted = 0;
  for (let i = 0; i < rows.length; i += perStatement) {
    const part = rows.slice(i, i + perStatement);
    const kept = omittable ? keptColumns(columns, omittable, part) : null;
    const query =
      kept === null
        ? multiRowQuery(database.dialect, head, part, tail)
        : multiRowQuery(
            database.dialect,
            headOf(kept.map((index) => columns[index] as string)),
            part.map((row) => kept.map((index) => row[index])),
            tail,
          );
    const result = await db.executeQuery(query);
    inserted += Number(result.numAffectedRows ?? 0n);
  }
  return inserted;
}

/**
 * The indexes of the columns a statement of these rows must write, or null for all of them (also when none
 * would be left: SQLite has no empty value list).
 */
function keptColumns(
  columns: readonly string[],
  defaults: ReadonlyMap<string, null | number>,
  rows: readonly (readonly unknown[])[],
): number[] | null {
  const kept: number[] = [];
  columns.forEach((column, index) => {
    const fallback = defaults.get(column);
    const isDefault =
      fallback === null
        ? (value: unknown) => value === null || value === undefined
        : (value: unknown) => value === fallback;
    if (fallback === undefined || !rows.every((row) => isDefault(row[index]))) kept.push(index);
  });
  return kept.length === columns.length || kept.length === 0 ? null : kept;
}
