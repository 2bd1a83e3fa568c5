import type { Logger } from 'pino';
import { pino } from 'pino';

export type { Logger };

/**
 * Paths pino censors in every log line. Secrets, keys, passwords, cookies and raw IPs never reach a log:
 * request logs carry a truncated IP instead (see the http app's serializer).
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'req.headers["x-forwarded-for"]',
  'req.headers["x-real-ip"]',
  'res.headers["set-cookie"]',
  'req.remoteAddress',
  'password',
  '*.password',
  'secret',
  '*.secret',
  'key',
  '*.key',
  'token',
  '*.token',
  'writeKey',
  '*.writeKey',
  'ip',
  '*.ip',
];

export function createLogger(options: {
  level: string;
  name?: string;
  destination?: NodeJS.WritableStream;
}): Logger {
  return pino(
    {
      level: options.level,
      name: options.name ?? 'footfall',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination as pino.DestinationStream | undefined,
  );
}
