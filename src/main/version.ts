/** Reported by /healthz, OpenAPI and the tracker; bumped with releases. */
export const VERSION = '0.1.0';
