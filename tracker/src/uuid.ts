// Message and session ids. crypto.randomUUID exists only in secure contexts (https, localhost), so plain
// http pages fall back to getRandomValues, which every browser has everywhere.

/** A version 4 UUID. The fallback fills the template's 0/1/8 digits with random nibbles: 4 stays the
 * version, and 8 becomes 8–b, the RFC 4122 variant. */
export const uuid = (c: Crypto = crypto): string =>
  c.randomUUID?.() ||
  '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (d) =>
    (+d ^ (c.getRandomValues(new Uint8Array(1))[0]! & (15 >> (+d / 4)))).toString(16),
  );
