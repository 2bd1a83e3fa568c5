// Which database failures are about the database rather than the events: the worker backs off and retries
// those (never counting them against an entry, never dead-lettering for them), and isolates everything else
// down to the one entry that causes it.

const TRANSIENT_CODES: ReadonlySet<string> = new Set([
  // The connection: refused, dropped, timed out, or the server going away.
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'EAI_AGAIN',
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_NET_READ_INTERRUPTED',
  'ER_NET_WRITE_INTERRUPTED',
  'ER_QUERY_INTERRUPTED',
  'ER_CLIENT_INTERACTION_TIMEOUT',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  // Contention between workers: the transaction is retried whole. A duplicate key can only come from two
  // batches creating the same order at once on MySQL (event and ledger inserts skip duplicates; SQLite has one
  // writer): the retry finds the order.
  'ER_DUP_ENTRY',
  'ER_LOCK_DEADLOCK',
  'ER_LOCK_WAIT_TIMEOUT',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  // The deployment is broken (read-only replica, full disk, schema not migrated): every event would fail.
  'ER_OPTION_PREVENTS_STATEMENT',
  'ER_RECORD_FILE_FULL',
  'ER_DISK_FULL',
  'ER_NO_SUCH_TABLE',
  'ER_BAD_DB_ERROR',
  'ER_BAD_FIELD_ERROR',
  'SQLITE_FULL',
  'SQLITE_READONLY',
  'SQLITE_CANTOPEN',
]);

export function isTransientDatabaseError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, fatal, message } = error as { code?: unknown; fatal?: unknown; message?: unknown };
  if (fatal === true) return true;
  if (typeof code === 'string' && (TRANSIENT_CODES.has(code) || code.startsWith('SQLITE_IOERR'))) return true;
  if (typeof message === 'string') {
    // mysql2 pool and connection states that carry no code.
    if (
      /Pool is closed|Can't add new command when connection is in closed state|connect ETIMEDOUT/.test(
        message,
      )
    )
      return true;
    if (/no such table/.test(message)) return true;
  }
  return false;
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' ? `${code}: ${error.message}` : error.message;
  }
  return String(error);
}
