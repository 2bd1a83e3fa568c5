/** Currencies and time zones for store settings, from the browser's Intl data (with a short fallback). */

const COMMON_CURRENCIES = [
  'USD',
  'EUR',
  'GBP',
  'CAD',
  'AUD',
  'JPY',
  'CHF',
  'SEK',
  'NOK',
  'DKK',
  'PLN',
  'BRL',
  'INR',
];

function supported(key: 'currency' | 'timeZone'): string[] {
  try {
    return Intl.supportedValuesOf(key);
  } catch {
    return [];
  }
}

/** Common currencies first, then every ISO 4217 code the browser knows. */
export function currencyOptions(current?: string): string[] {
  const all = supported('currency');
  const rest = all.filter((c) => !COMMON_CURRENCIES.includes(c));
  const list = [...COMMON_CURRENCIES, ...rest];
  return current && !list.includes(current) ? [current, ...list] : list;
}

export function timeZoneOptions(current?: string): string[] {
  const list = supported('timeZone');
  if (!list.includes('UTC')) list.unshift('UTC');
  return current && !list.includes(current) ? [current, ...list] : list;
}

export function browserTimeZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function currencyName(code: string): string {
  try {
    return new Intl.DisplayNames(undefined, { type: 'currency' }).of(code) ?? code;
  } catch {
    return code;
  }
}
