import type { PipelineEvent } from '../../pipeline/index.js';
import { createRandom, type GeneratedSession, generateTraffic } from '../../seed/index.js';

let counter = 0;

/** A stored-ready event with neutral defaults; tests set what matters to them. */
export function makeEvent(fields: Partial<PipelineEvent> & { timestampMs: number }): PipelineEvent {
  counter += 1;
  return {
    messageId: `hand-${counter}-${fields.timestampMs}`,
    type: 'page',
    event: null,
    name: null,
    userId: null,
    anonymousId: 'hand-visitor',
    groupId: null,
    previousId: null,
    sessionId: 'hand-session',
    sentAtMs: fields.timestampMs,
    receivedAtMs: fields.timestampMs,
    properties: {},
    traits: {},
    context: {},
    pagePath: '/',
    pageHost: 'shop.example',
    pageTitle: null,
    referrerHost: null,
    channel: 'direct',
    utmSource: null,
    utmMedium: null,
    utmCampaign: null,
    utmTerm: null,
    utmContent: null,
    deviceType: 'desktop',
    browser: 'Firefox',
    os: 'Linux',
    country: 'US',
    isBot: false,
    revenue: null,
    currency: null,
    orderId: null,
    isServer: false,
    ...fields,
  };
}

export function orderEvent(
  name: 'Order Completed' | 'Order Refunded' | 'Order Cancelled',
  fields: Partial<PipelineEvent> & { timestampMs: number; orderId: string },
  properties: Record<string, unknown> = {},
): PipelineEvent {
  return makeEvent({
    type: 'track',
    event: name,
    properties: { order_id: fields.orderId, ...properties },
    ...fields,
  });
}

/** Generated traffic as one list of sessions (the same the seed writes for these options). */
export async function generatedSessions(options: {
  events: number;
  days: number;
  endMs: number;
  seed: number;
  timeZone: string;
  currency: string;
}): Promise<GeneratedSession[]> {
  const sessions: GeneratedSession[] = [];
  await generateTraffic({ ...options, orderPrefix: `S${options.seed}-` }, (day) => {
    sessions.push(...day.sessions);
  });
  return sessions;
}

/** Deterministic shuffle: the worker then sees sessions' events out of order and across batches. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = createRandom(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
