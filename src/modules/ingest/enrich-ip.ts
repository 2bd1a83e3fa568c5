// Client IP: pick the shopper's address and apply the store's privacy policy before anything stores it. Pure.
import { normalizeIp, truncateIp } from '../../platform/net.js';
import { createMemoCache } from './memo-cache.js';

/**
 * `truncate` keeps the network only (IPv4 /24, IPv6 /48) — enough for coarse geo, not enough to single out a
 * household; `full` keeps the address (the store opted out); `none` stores no address at all.
 */
export type IpPolicy = 'truncate' | 'full' | 'none';

export { normalizeIp, truncateIp };

// Addresses repeat (every event of a request, a visitor's requests): parsing and formatting one is most of
// the cost, so results are memoised per policy. null ("not an address") is cached too; text longer than any
// address is not (it is the client's, and the memo's memory stays small).
const truncated = createMemoCache<string | null>(2000);
const normalized = createMemoCache<string | null>(2000);

export function applyIpPolicy(ip: string | null, policy: IpPolicy): string | null {
  if (ip === null || policy === 'none') return null;
  const apply = policy === 'full' ? normalizeIp : truncateIp;
  if (ip.length > 64) return apply(ip);
  const cache = policy === 'full' ? normalized : truncated;
  let result = cache.get(ip);
  if (result === undefined) {
    result = apply(ip);
    cache.set(ip, result);
  }
  return result;
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
