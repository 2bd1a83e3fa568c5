// Data for traffic-channel classification: which referrer hosts and UTM values mean search, social, email or
// paid. Kept apart from the rules in enrich-url.ts so the lists can grow without touching logic. Hosts are
// lowercase with any leading `www.` removed; a listed domain also covers its subdomains (m., l., mobile., …).

/** Search engines whose hostnames follow a pattern over many country TLDs. */
export const SEARCH_ENGINE_HOST_PATTERNS: readonly RegExp[] = [
  /^(?:[a-z]+\.)?google\.(?:com?\.)?[a-z]{2,3}$/,
  /^(?:[a-z]+\.)?yandex\.(?:com?\.)?[a-z]{2,3}$/,
  /^(?:[a-z]+\.)?search\.yahoo\.(?:com?\.)?[a-z]{2,3}$/,
];

export const SEARCH_ENGINE_DOMAINS: readonly string[] = [
  'bing.com',
  'duckduckgo.com',
  'baidu.com',
  'ya.ru',
  'ecosia.org',
  'search.brave.com',
  'startpage.com',
  'qwant.com',
  'naver.com',
  'seznam.cz',
  'sogou.com',
  'so.com',
  'sm.cn',
  'ask.com',
  'search.aol.com',
  'daum.net',
  'kagi.com',
  'mojeek.com',
  'yep.com',
  'you.com',
  'lilo.org',
  'search.lilo.org',
  'coccoc.com',
  'petalsearch.com',
  'metager.org',
  'swisscows.com',
  'presearch.com',
  'dogpile.com',
  'webcrawler.com',
];

// Hosts that look like a search engine's but are not search (Google's docs, mail, accounts, ads dashboards).
export const NOT_SEARCH_HOST_PATTERNS: readonly RegExp[] = [
  /^(?:mail|docs|drive|accounts|sites|groups|calendar|meet|chat|ads|analytics|play|support|photos|translate)\.google\./,
];

export const SOCIAL_HOST_PATTERNS: readonly RegExp[] = [/^(?:[a-z]+\.)?pinterest\.(?:com?\.)?[a-z]{2,3}$/];

export const SOCIAL_DOMAINS: readonly string[] = [
  'facebook.com',
  'fb.com',
  'fb.me',
  'messenger.com',
  'instagram.com',
  'threads.net',
  'threads.com',
  't.co',
  'twitter.com',
  'x.com',
  'linkedin.com',
  'lnkd.in',
  'pin.it',
  'reddit.com',
  'redd.it',
  'tiktok.com',
  'youtube.com',
  'youtu.be',
  'snapchat.com',
  'bsky.app',
  'mastodon.social',
  'vk.com',
  'ok.ru',
  'weibo.com',
  'weibo.cn',
  'douyin.com',
  'xiaohongshu.com',
  'tumblr.com',
  'quora.com',
  'news.ycombinator.com',
  'discord.com',
  'discord.gg',
  't.me',
  'telegram.org',
  'web.whatsapp.com',
  'wa.me',
  'line.me',
  'xing.com',
  'medium.com',
  'twitch.tv',
  'vimeo.com',
  'flickr.com',
  'producthunt.com',
  'meetup.com',
  'nextdoor.com',
  'kakao.com',
];

/** Webmail front-ends: a click from a mail read in the browser arrives with one of these as referrer. */
export const EMAIL_DOMAINS: readonly string[] = [
  'mail.google.com',
  'outlook.live.com',
  'outlook.office.com',
  'outlook.office365.com',
  'mail.yahoo.com',
  'mail.aol.com',
  'mail.proton.me',
  'mail.protonmail.com',
  'mail.zoho.com',
  'mail.zoho.eu',
  'app.fastmail.com',
  'mail.yandex.ru',
  'mail.yandex.com',
  'e.mail.ru',
  'mail.gmx.net',
  'mail.gmx.com',
  'navigator.web.de',
  'webmail.1und1.de',
];

/** `android-app://<package>` referrers: Android apps that opened the link. */
export const APP_REFERRER_CHANNELS: Readonly<Record<string, 'search' | 'social' | 'email'>> = {
  'com.google.android.googlequicksearchbox': 'search',
  'com.google.android.gm': 'email',
  'com.microsoft.office.outlook': 'email',
  'com.yahoo.mobile.client.android.mail': 'email',
  'com.facebook.katana': 'social',
  'com.facebook.orca': 'social',
  'com.facebook.lite': 'social',
  'com.instagram.android': 'social',
  'com.twitter.android': 'social',
  'com.linkedin.android': 'social',
  'com.pinterest': 'social',
  'com.reddit.frontpage': 'social',
  'com.zhiliaoapp.musically': 'social',
  'com.ss.android.ugc.trill': 'social',
  'com.google.android.youtube': 'social',
  'com.snapchat.android': 'social',
  'org.telegram.messenger': 'social',
  'com.whatsapp': 'social',
};

// utm_medium values, after lowercasing. Patterns follow GA4's default channel group definitions.
export const PAID_MEDIUM =
  /^(?:.*cp.*|ppc|retargeting|remarketing|paid.*|display|banner|expandable|interstitial)$/;
export const EMAIL_MEDIUM_OR_SOURCE = /e[-_ ]?mail|newsletter/;
export const SOCIAL_MEDIUM = /^(?:.*social.*|social-network|social-media|sm|social network|social media)$/;
export const ORGANIC_MEDIUM = /^(?:organic|organic[-_ ]search|seo)$/;

/** utm_source values (lowercased) that name a social network or a search engine. */
export const SOCIAL_SOURCES: ReadonlySet<string> = new Set([
  'facebook',
  'fb',
  'meta',
  'instagram',
  'ig',
  'threads',
  'twitter',
  'x',
  'linkedin',
  'pinterest',
  'reddit',
  'tiktok',
  'youtube',
  'snapchat',
  'bluesky',
  'mastodon',
  'vk',
  'weibo',
  'tumblr',
  'quora',
  'discord',
  'telegram',
  'whatsapp',
  'line',
  'xing',
]);

export const SEARCH_SOURCES: ReadonlySet<string> = new Set([
  'google',
  'bing',
  'duckduckgo',
  'yahoo',
  'baidu',
  'yandex',
  'ecosia',
  'brave',
  'startpage',
  'qwant',
  'naver',
  'seznam',
  'sogou',
  'ask',
  'aol',
  'daum',
  'kagi',
]);

/** Click ids ad platforms append to landing-page URLs; all of them are captured. */
export const CLICK_ID_PARAMS: readonly string[] = [
  'gclid',
  'gbraid',
  'wbraid',
  'dclid',
  'fbclid',
  'msclkid',
  'ttclid',
  'twclid',
  'li_fat_id',
];

/**
 * Click ids that prove an ad click. fbclid is left out: Facebook and Instagram append it to every outbound
 * link, organic posts included, so on its own it says "came from Meta", not "paid for".
 */
export const PAID_CLICK_ID_PARAMS: readonly string[] = CLICK_ID_PARAMS.filter((param) => param !== 'fbclid');
