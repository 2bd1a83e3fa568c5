import { type TSchema, Type } from 'typebox';

/** RFC 9457 problem details, as every 4xx/5xx is answered. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    field: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
  },
  { additionalProperties: true, $id: 'Problem', description: 'RFC 9457 problem details' },
);

const ERROR_STATUSES = [400, 401, 403, 404, 409, 410, 413, 415, 429, 503] as const;

/** Response schemas for the error statuses a route can answer. */
export function errorResponses(...statuses: (typeof ERROR_STATUSES)[number][]): Record<number, TSchema> {
  const list = statuses.length > 0 ? statuses : [400, 401, 403, 404];
  return Object.fromEntries(list.map((status) => [status, ProblemSchema]));
}

export const IsoTime = Type.String({ format: 'date-time' });
export const NullableIsoTime = Type.Union([IsoTime, Type.Null()]);

/** A public id of one type: `str_` followed by 26 base32 characters. */
export function PublicIdString(prefix: string, description?: string) {
  return Type.String({
    pattern: `^${prefix}_[0-9a-hjkmnp-tv-z]{26}$`,
    description: description ?? `A ${prefix}_… id`,
    examples: [`${prefix}_01jdq4m8k9v6x3c2b1n0p7r5s4`],
  });
}

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Text people see (names): no control characters and no lone surrogates (MySQL's utf8mb4 cannot store them). */
export function SafeText(options: { minLength?: number; maxLength: number; description?: string }) {
  return Type.String({ ...options, pattern: '^[^\\p{Cc}\\p{Cs}]*$' });
}
