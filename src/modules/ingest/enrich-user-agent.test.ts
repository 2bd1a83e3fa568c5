import { describe, expect, it } from 'vitest';
import { createUserAgentParser, parseUserAgent, parseUserAgentUncached } from './enrich-user-agent.js';

const CHROME_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.127 Safari/537.36';
const SAFARI_IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1';
const SAFARI_IPAD =
  'Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.0 Mobile/15E148 Safari/604.1';
const FIREFOX_MAC = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:127.0) Gecko/20100101 Firefox/127.0';
const GOOGLEBOT_MOBILE =
  'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.126 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
const SMART_TV =
  'Mozilla/5.0 (SMART-TV; Linux; Tizen 6.0) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/4.0 Chrome/76.0.3809.146 TV Safari/537.36';

describe('parseUserAgent', () => {
  it.each([
    [
      CHROME_WINDOWS,
      {
        browser: 'Chrome',
        browserVersion: '126',
        os: 'Windows',
        osVersion: '10',
        deviceType: 'desktop',
        isBot: false,
      },
    ],
    [
      SAFARI_IPHONE,
      {
        browser: 'Mobile Safari',
        browserVersion: '17',
        os: 'iOS',
        osVersion: '17.5',
        deviceType: 'mobile',
        isBot: false,
      },
    ],
    [
      SAFARI_IPAD,
      {
        browser: 'Mobile Safari',
        browserVersion: '16',
        os: 'iOS',
        osVersion: '16.0',
        deviceType: 'tablet',
        isBot: false,
      },
    ],
    [
      FIREFOX_MAC,
      {
        browser: 'Firefox',
        browserVersion: '127',
        os: 'Mac OS',
        osVersion: '10.15',
        deviceType: 'desktop',
        isBot: false,
      },
    ],
    [GOOGLEBOT_MOBILE, { browser: 'Chrome', os: 'Android', deviceType: 'bot', isBot: true }],
    ['python-requests/2.32.3', { browser: null, os: null, deviceType: 'bot', isBot: true }],
    [SMART_TV, { deviceType: 'other', isBot: false }],
    [
      'something odd',
      { browser: null, browserVersion: null, os: null, osVersion: null, deviceType: 'other', isBot: false },
    ],
  ])('parses %s', (ua, expected) => {
    expect(parseUserAgent(ua)).toMatchObject(expected);
  });

  it.each([[null], [''], ['   ']])('reports nothing for %j', (ua) => {
    expect(parseUserAgent(ua)).toEqual({
      browser: null,
      browserVersion: null,
      os: null,
      osVersion: null,
      deviceType: 'other',
      isBot: false,
    });
  });
});

describe('createUserAgentParser', () => {
  it('returns the cached result for a repeated UA', () => {
    const parse = createUserAgentParser(10);
    const first = parse(CHROME_WINDOWS);
    expect(parse(CHROME_WINDOWS)).toBe(first);
    expect(first).toEqual(parseUserAgentUncached(CHROME_WINDOWS));
  });

  it('keeps UAs in use cached and forgets ones unused while others came', () => {
    const parse = createUserAgentParser(4);
    const chrome = parse(CHROME_WINDOWS);
    const iphone = parse(SAFARI_IPHONE);
    for (let i = 0; i < 20; i++) {
      parse(`${FIREFOX_MAC} build/${i}`);
      expect(parse(CHROME_WINDOWS)).toBe(chrome); // in use: never parsed again
    }
    const iphoneAgain = parse(SAFARI_IPHONE);
    expect(iphoneAgain).not.toBe(iphone);
    expect(iphoneAgain).toEqual(iphone);
  });

  it('parses very long UAs without caching them', () => {
    const parse = createUserAgentParser(10);
    const long = `${CHROME_WINDOWS} ${'x'.repeat(2000)}`;
    const first = parse(long);
    expect(first.browser).toBe('Chrome');
    expect(parse(long)).not.toBe(first);
  });

  it('hands out frozen results, so a caller cannot poison the cache', () => {
    const parse = createUserAgentParser(10);
    expect(Object.isFrozen(parse(CHROME_WINDOWS))).toBe(true);
  });
});
