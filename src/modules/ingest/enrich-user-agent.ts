// User-agent enrichment: browser, OS and device class via ua-parser-js 1.x (MIT; 2.x is AGPL), plus the bot
// flag. Parsing is the costliest enrichment step and the same few hundred UAs cover most traffic, so results
// are memoised in a small bounded LRU.
import { UAParser } from 'ua-parser-js';
import { isBotUserAgent } from './bot-detection.js';
import { truncate } from './event-validation.js';
import { createMemoCache } from './memo-cache.js';

export type DeviceType = 'desktop' | 'mobile' | 'tablet' | 'bot' | 'other';

export type UserAgentInfo = {
  browser: string | null;
  /** Major version only: minor versions fragment reports without telling anyone anything. */
  browserVersion: string | null;
  os: string | null;
  osVersion: string | null;
  deviceType: DeviceType;
  isBot: boolean;
};

const UNKNOWN: UserAgentInfo = Object.freeze({
  browser: null,
  browserVersion: null,
  os: null,
  osVersion: null,
  deviceType: 'other',
  isBot: false,
});

// ua-parser-js reports no device type for desktops; these OS names tell a desktop apart from an unknown device.
const DESKTOP_OS: ReadonlySet<string> = new Set([
  'Windows',
  'Mac OS',
  'macOS',
  'Linux',
  'Ubuntu',
  'Debian',
  'Fedora',
  'Mint',
  'Arch',
  'CentOS',
  'RedHat',
  'SUSE',
  'Gentoo',
  'Slackware',
  'Mandriva',
  'Chromium OS',
  'Chrome OS',
  'FreeBSD',
  'OpenBSD',
  'NetBSD',
  'Solaris',
]);

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : truncate(value, 255);
}

function majorVersion(version: string | undefined): string | null {
  if (version === undefined || version === '') return null;
  const major = version.split('.')[0];
  return major === undefined || major === '' ? null : truncate(major, 255);
}

/** Parses one UA string without caching. */
export function parseUserAgentUncached(userAgent: string): UserAgentInfo {
  const result = new UAParser(userAgent).getResult();
  const isBot = isBotUserAgent(userAgent);
  const os = nonEmpty(result.os.name);
  let deviceType: DeviceType;
  if (isBot) deviceType = 'bot';
  else if (result.device.type === 'mobile') deviceType = 'mobile';
  else if (result.device.type === 'tablet') deviceType = 'tablet';
  else if (result.device.type !== undefined) deviceType = 'other';
  else if (os !== null && DESKTOP_OS.has(os)) deviceType = 'desktop';
  else deviceType = 'other';
  return {
    browser: nonEmpty(result.browser.name),
    browserVersion: majorVersion(result.browser.version),
    os,
    osVersion: nonEmpty(result.os.version),
    deviceType,
    isBot,
  };
}

/** UAs longer than this are parsed but not cached: they are rare, and would bloat the cache. */
const MAX_CACHED_UA_LENGTH = 1024;

export type UserAgentParser = (userAgent: string | null) => UserAgentInfo;

/** A memoising parser holding at most `cacheSize` results (see createMemoCache). */
export function createUserAgentParser(cacheSize = 2000): UserAgentParser {
  const cache = createMemoCache<UserAgentInfo>(cacheSize);
  return (userAgent) => {
    if (userAgent === null || userAgent.trim() === '') return UNKNOWN;
    if (userAgent.length > MAX_CACHED_UA_LENGTH) return parseUserAgentUncached(userAgent);
    const hit = cache.get(userAgent);
    if (hit !== undefined) return hit;
    const info = Object.freeze(parseUserAgentUncached(userAgent));
    cache.set(userAgent, info);
    return info;
  };
}

/** Process-wide parser used by normalizeEvent; the cache holds derived data only, so sharing it is safe. */
export const parseUserAgent: UserAgentParser = createUserAgentParser();
