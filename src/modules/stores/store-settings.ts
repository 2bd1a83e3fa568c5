import { invalid } from '../../platform/errors.js';

export type IpPolicy = 'truncate' | 'full' | 'none';
export const IP_POLICIES: readonly IpPolicy[] = ['truncate', 'full', 'none'];

export interface StoreSettings {
  name: string;
  currency: string;
  timeZone: string;
  allowedOrigins: string[];
  retentionDays: number;
  ipPolicy: IpPolicy;
  backfillDays: number;
  maxKeyAgeDays: number | null;
  requiresConsent: boolean;
}

export const DEFAULT_SETTINGS: Omit<StoreSettings, 'name'> = {
  currency: 'USD',
  timeZone: 'UTC',
  allowedOrigins: [],
  retentionDays: 395,
  ipPolicy: 'truncate',
  backfillDays: 30,
  maxKeyAgeDays: null,
  requiresConsent: false,
};

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
const TIME_ZONES = new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);

/** `https://shop.example` or `http://localhost:8080`: scheme, host and optional port; nothing else. */
export function normalizeOrigin(value: string): string | null {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
    if (url.pathname !== '/' || url.search || url.hash || url.username || url.password) return null;
    if (value.replace(/\/$/, '') !== url.origin) return null;
    return url.origin;
  } catch {
    return null;
  }
}

/** Validates a partial update; throws a 400 naming the first bad field. Returns only the given fields. */
export function validateSettings(input: Partial<StoreSettings>): Partial<StoreSettings> {
  const out: Partial<StoreSettings> = {};
  if (input.name !== undefined) {
    const name = input.name.trim();
    if (name.length < 1 || name.length > 120) throw invalid('name', 'The name must be 1–120 characters');
    out.name = name;
  }
  if (input.currency !== undefined) {
    const currency = input.currency.toUpperCase();
    if (!CURRENCIES.has(currency))
      throw invalid('currency', `"${input.currency}" is not an ISO 4217 currency code`);
    out.currency = currency;
  }
  if (input.timeZone !== undefined) {
    if (!TIME_ZONES.has(input.timeZone))
      throw invalid('timeZone', `"${input.timeZone}" is not an IANA time zone`);
    out.timeZone = input.timeZone;
  }
  if (input.allowedOrigins !== undefined) {
    if (input.allowedOrigins.length > 50) throw invalid('allowedOrigins', 'At most 50 origins');
    out.allowedOrigins = input.allowedOrigins.map((origin, index) => {
      const normalized = normalizeOrigin(origin);
      if (!normalized)
        throw invalid(`allowedOrigins.${index}`, `"${origin}" is not an origin like https://shop.example`);
      return normalized;
    });
  }
  if (input.retentionDays !== undefined) {
    if (!Number.isInteger(input.retentionDays) || input.retentionDays < 1 || input.retentionDays > 3650) {
      throw invalid('retentionDays', 'Retention must be 1–3650 days');
    }
    out.retentionDays = input.retentionDays;
  }
  if (input.ipPolicy !== undefined) {
    if (!IP_POLICIES.includes(input.ipPolicy))
      throw invalid('ipPolicy', 'IP policy is truncate, full or none');
    out.ipPolicy = input.ipPolicy;
  }
  if (input.backfillDays !== undefined) {
    if (!Number.isInteger(input.backfillDays) || input.backfillDays < 1 || input.backfillDays > 3650) {
      throw invalid('backfillDays', 'The backfill window must be 1–3650 days');
    }
    out.backfillDays = input.backfillDays;
  }
  if (input.maxKeyAgeDays !== undefined) {
    if (input.maxKeyAgeDays !== null && (!Number.isInteger(input.maxKeyAgeDays) || input.maxKeyAgeDays < 1)) {
      throw invalid('maxKeyAgeDays', 'The maximum key age is a positive number of days, or null');
    }
    out.maxKeyAgeDays = input.maxKeyAgeDays;
  }
  if (input.requiresConsent !== undefined) out.requiresConsent = input.requiresConsent;
  return out;
}
