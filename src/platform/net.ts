import { isIP } from 'node:net';

// Address parsing and truncation shared by every module that sees a client IP (ingest, audit, login throttling).

/** 8 hextets of an address that node:net already accepted as IPv6 (zone id removed). */
function parseIpv6(text: string): number[] {
  let head = text;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  // An embedded dotted quad (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) fills the last two hextets.
  if (text.includes('.', lastColon)) {
    const octets = text
      .slice(lastColon + 1)
      .split('.')
      .map(Number);
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    tail.push((a << 8) | b, (c << 8) | d);
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const toHextets = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((h) => Number.parseInt(h, 16));
  const gap = head.indexOf('::');
  let hextets: number[];
  if (gap === -1) {
    hextets = [...toHextets(head), ...tail];
  } else {
    const left = toHextets(head.slice(0, gap));
    const right = [...toHextets(head.slice(gap + 2)), ...tail];
    hextets = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  return hextets;
}

/** RFC 5952 text: lowercase, no leading zeros, the longest run (≥ 2) of zero hextets as `::`, first on ties. */
function formatIpv6(hextets: readonly number[]): string {
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < hextets.length; ) {
    if (hextets[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < hextets.length && hextets[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = hextets.map((h) => h.toString(16));
  if (bestLength < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

type ParsedIp = { version: 4; octets: number[] } | { version: 6; hextets: number[] };

function parseIp(text: string): ParsedIp | null {
  const candidate = text.trim();
  const version = isIP(candidate);
  if (version === 4) return { version: 4, octets: candidate.split('.').map(Number) };
  if (version !== 6) return null;
  const percent = candidate.indexOf('%');
  const hextets = parseIpv6(percent === -1 ? candidate : candidate.slice(0, percent));
  // IPv4-mapped (::ffff:a.b.c.d) is how dual-stack sockets report IPv4 clients: it is an IPv4 address.
  if (hextets.slice(0, 5).every((h) => h === 0) && hextets[5] === 0xffff) {
    const hi = hextets[6] ?? 0;
    const lo = hextets[7] ?? 0;
    return { version: 4, octets: [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff] };
  }
  return { version: 6, hextets };
}

function formatIp(ip: ParsedIp): string {
  return ip.version === 4 ? ip.octets.join('.') : formatIpv6(ip.hextets);
}

/** Canonical text of a valid IP (IPv4-mapped IPv6 → IPv4, IPv6 compressed, zone dropped); null if invalid. */
export function normalizeIp(text: string): string | null {
  const ip = parseIp(text);
  return ip === null ? null : formatIp(ip);
}

/** Network part only: IPv4 /24 (`1.2.3.0`), IPv6 /48 (`2001:db8:1::`). Idempotent. null if invalid. */
export function truncateIp(text: string | null | undefined): string | null {
  if (!text) return null;
  const ip = parseIp(text);
  if (ip === null) return null;
  if (ip.version === 4) return formatIp({ version: 4, octets: [...ip.octets.slice(0, 3), 0] });
  return formatIp({ version: 6, hextets: [...ip.hextets.slice(0, 3), 0, 0, 0, 0, 0] });
}
