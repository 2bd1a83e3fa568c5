// Client IP: pick the shopper's address and apply the store's privacy policy before anything stores it. Pure.
import { normalizeIp, truncateIp } from '../../platform/net.js';

/**
 * `truncate` keeps the network only (IPv4 /24, IPv6 /48) — enough for coarse geo, not enough to single out a
 * household; `full` keeps the address (the store opted out); `none` stores no address at all.
 */
export type IpPolicy = 'truncate' | 'full' | 'none';

export { normalizeIp, truncateIp };

export function applyIpPolicy(ip: string | null, policy: IpPolicy): string | null {
  if (ip === null || policy === 'none') return null;
  return policy === 'full' ? normalizeIp(ip) : truncateIp(ip);
}

/**
 * The shopper's IP after policy. `context.ip` wins when it is a valid address: a store backend forwarding a
 * server-side order sets it, and the request IP would then be the backend's. Otherwise the request's IP.
 */
export function resolveClientIp(
  contextIp: unknown,
  requestIp: string | null,
  policy: IpPolicy,
): string | null {
  if (policy === 'none') return null;
  const fromContext = typeof contextIp === 'string' ? applyIpPolicy(contextIp, policy) : null;
  if (fromContext !== null) return fromContext;
  return applyIpPolicy(requestIp, policy);
}
