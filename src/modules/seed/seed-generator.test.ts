import { describe, expect, it } from 'vitest';
import { renderProgress } from './seed.service.js';
import { generateTraffic } from './seed-generator.js';

const OPTIONS = {
  events: 20_000,
  days: 30,
  endMs: Date.parse('2026-03-12T20:00:00Z'),
  seed: 42,
  timeZone: 'America/New_York',
  currency: 'USD',
};

async function summarize(seed: number) {
  const events: string[] = [];
  let sessions = 0;
  let bots = 0;
  const orders: { status: string; currency: string; refunded: number }[] = [];
  const channels = new Map<string, number>();
  let lastDay = Number.NEGATIVE_INFINITY;
  await generateTraffic({ ...OPTIONS, seed }, (day) => {
    expect(day.day).toBeGreaterThan(lastDay);
    lastDay = day.day;
    for (const session of day.sessions) {
      sessions += 1;
      const first = session.events[0];
      if (first?.isBot) bots += 1;
      else if (first) channels.set(first.channel, (channels.get(first.channel) ?? 0) + 1);
      for (const event of session.events) {
        events.push(event.messageId);
        expect(event.timestampMs).toBeLessThan(OPTIONS.endMs);
      }
      if (session.order) {
        orders.push({
          status: session.order.status,
          currency: session.order.currency,
          refunded: session.order.refundedTotal,
        });
      }
    }
  });
  return { events, sessions, bots, orders, channels };
}

describe('the traffic generator', () => {
  it('makes the same traffic for the same seed, and other traffic for another', async () => {
    const a = await summarize(42);
    const b = await summarize(42);
    const c = await summarize(43);
    expect(b.events).toEqual(a.events);
    expect(c.events.slice(0, 10)).not.toEqual(a.events.slice(0, 10));
  });

  it('looks like a store: the volume asked for, a channel mix, bots, conversions, refunds, currencies', async () => {
    const { events, sessions, bots, orders, channels } = await summarize(42);
    expect(events.length).toBeGreaterThan(OPTIONS.events * 0.85);
    expect(events.length).toBeLessThan(OPTIONS.events * 1.15);
    expect(new Set(events).size).toBe(events.length);
    expect(bots / sessions).toBeGreaterThan(0.01);
    expect(bots / sessions).toBeLessThan(0.06);
    expect([...channels.keys()].sort()).toEqual(['direct', 'email', 'paid', 'referral', 'search', 'social']);
    const conversion = orders.length / (sessions - bots);
    expect(conversion).toBeGreaterThan(0.01);
    expect(conversion).toBeLessThan(0.06);
    expect(orders.some((o) => o.status === 'refunded' || o.status === 'partially_refunded')).toBe(true);
    expect(orders.some((o) => o.currency !== 'USD')).toBe(true);
  });

  it('draws a progress bar', () => {
    expect(renderProgress({ events: 4_500_000, target: 10_000_000, orders: 0, elapsedMs: 25_000 }, 10)).toBe(
      '[#####-----] 45% 4.5M/10M events 180k/s',
    );
  });
});
