import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/harness/databases.js';
import { createServices, type Services } from '../../main/modules.js';
import { createManualClock, type ManualClock } from '../../platform/clock.js';
import { loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/log.js';
import type { Session } from '../accounts/index.js';
import { SIGNING_KEY_VERIFY_MS } from '../maintenance/index.js';
import { SIGNING_KEY_PUBLISH_MS, SIGNING_KEY_REFRESH_MS } from './index.js';

const T0 = Date.parse('2026-11-25T12:00:00Z');
const STEP_MS = 10_000;
/** Instance B's clock runs this much behind A's. */
const SKEW_MS = 3_000;

interface Instance {
  name: string;
  services: Services;
  clock: ManualClock;
}

interface Issued {
  by: string;
  atMs: number;
  kid: string;
  csrf: string;
  linkData: string;
  link: string;
}

describe.each(DIALECTS)('signing-key rotation across two instances on %s', (dialect) => {
  let db: TestDatabase;
  let a: Instance;
  let b: Instance;
  let session: Session;
  const issued: Issued[] = [];

  const createInstance = async (name: string, offsetMs: number): Promise<Instance> => {
    const clock = createManualClock(T0 - offsetMs);
    const config = loadConfig({
      DATABASE_URL: db.url,
      FOOTFALL_SECRET: 'test-secret-that-is-long-enough-0123456789',
    });
    const logger = createLogger({
      level: 'silent',
      destination: new Writable({ write: (_c, _e, d) => d() }),
    });
    const services = await createServices({ config, logger, database: db.database, redis: null, clock });
    return { name, services, clock };
  };

  /**
   * Moves both clocks to A's time `ms`; each instance then re-reads its ring only if its copy is a full
   * refresh interval old — the most stale its timer lets it be.
   */
  const moveTo = async (ms: number) => {
    a.clock.set(ms);
    b.clock.set(ms - SKEW_MS);
    for (const instance of [a, b]) await instance.services.secrets.refresh();
  };

  const issue = (instance: Instance): Issued => {
    const csrf = instance.services.accounts.csrfTokenFor(session);
    const linkData = `prv_x:${instance.clock.nowMs()}`;
    const link = instance.services.secrets.signer.sign('export', linkData);
    const token: Issued = {
      by: instance.name,
      atMs: a.clock.nowMs(),
      kid: csrf.slice(0, csrf.indexOf('.')),
      csrf,
      linkData,
      link,
    };
    issued.push(token);
    return token;
  };

  /** A CSRF token and an export-link signature, checked the way the routes check them. */
  const verifiesOn = (instance: Instance, token: Issued) =>
    instance.services.accounts.verifyCsrf(session, token.csrf) &&
    instance.services.secrets.signer.verify('export', token.linkData, token.link);

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    a = await createInstance('A', 0);
    b = await createInstance('B', SKEW_MS);
    await a.services.accounts.createUser({
      email: 'rotation@example.test',
      name: 'rotation',
      password: 'correct horse battery staple',
    });
    ({ session } = await a.services.accounts.login({
      email: 'rotation@example.test',
      password: 'correct horse battery staple',
      ip: '127.0.0.1',
      userAgent: null,
    }));
  });
  afterAll(async () => {
    a?.services.secrets.stop();
    b?.services.secrets.stop();
    await db?.drop();
  });

  it('shares one first key between instances that started together', () => {
    expect(a.services.secrets.listKids().map((k) => k.kid)).toEqual(['k1']);
    expect(b.services.secrets.listKids().map((k) => k.kid)).toEqual(['k1']);
  });

  it('verifies a token signed by either instance on the other at every point of a rotation', async () => {
    // B reads its ring just before the rotation: its copy is as old as it can get when the key lands.
    await moveTo(T0 + SIGNING_KEY_REFRESH_MS);
    await b.services.secrets.refresh();
    await moveTo(T0 + SIGNING_KEY_REFRESH_MS + STEP_MS);
    const rotation = await a.services.secrets.rotate('r1', SIGNING_KEY_VERIFY_MS);
    expect(rotation).toMatchObject({ added: true, retired: ['k1'], deleted: [] });
    expect(rotation.signsFromMs).toBe(a.clock.nowMs() + SIGNING_KEY_PUBLISH_MS);

    const end = rotation.signsFromMs + 3 * SIGNING_KEY_REFRESH_MS;
    for (let at = a.clock.nowMs(); at <= end; at += STEP_MS) {
      await moveTo(at);
      const fromA = issue(a);
      const fromB = issue(b);
      // Neither instance signs with the new key before it has been published for the whole window.
      const expectedKid = at < rotation.signsFromMs - SKEW_MS ? 'k1' : null;
      if (expectedKid) {
        expect(fromA.kid, `A at +${at - T0} ms`).toBe(expectedKid);
        expect(fromB.kid, `B at +${at - T0} ms`).toBe(expectedKid);
      }
      for (const token of issued) {
        expect(verifiesOn(a, token), `${token.by}'s ${token.kid} token on A at +${at - T0} ms`).toBe(true);
        expect(verifiesOn(b, token), `${token.by}'s ${token.kid} token on B at +${at - T0} ms`).toBe(true);
      }
    }
    // Both moved to the new key once it signs, and both still verify the old key's tokens.
    expect(issue(a).kid).toBe('r1');
    expect(issue(b).kid).toBe('r1');
    expect(issued.some((t) => t.kid === 'k1')).toBe(true);
  });

  it('keeps the old key verifying until everything it signed has expired, then retires it', async () => {
    const r1 = a.services.secrets.listKids().find((k) => k.kid === 'r1');
    const k1 = a.services.secrets.listKids().find((k) => k.kid === 'k1');
    expect(k1?.signUntilMs).toBe(r1?.signFromMs);
    expect(k1?.retireAtMs).toBe((r1?.signFromMs ?? 0) + SIGNING_KEY_VERIFY_MS);
    const oldTokens = issued.filter((t) => t.kid === 'k1');
    const newTokens = issued.filter((t) => t.kid === 'r1');

    await moveTo((k1?.retireAtMs ?? 0) - STEP_MS);
    for (const token of oldTokens) {
      expect(verifiesOn(a, token)).toBe(true);
      expect(verifiesOn(b, token)).toBe(true);
    }
    // Past its end (with B's clock behind, past it for B too) neither instance accepts the old key.
    await moveTo((k1?.retireAtMs ?? 0) + SKEW_MS + SIGNING_KEY_REFRESH_MS);
    for (const token of oldTokens) {
      expect(verifiesOn(a, token)).toBe(false);
      expect(verifiesOn(b, token)).toBe(false);
    }
    for (const token of newTokens) {
      expect(verifiesOn(a, token)).toBe(true);
      expect(verifiesOn(b, token)).toBe(true);
    }
  });

  it('is idempotent per key id across instances, and a rotation run deletes retired keys', async () => {
    // Another instance running the same period's rotation adds nothing, and deletes the retired key.
    const again = await b.services.secrets.rotate('r1', SIGNING_KEY_VERIFY_MS);
    expect(again).toMatchObject({ added: false, retired: [], deleted: ['k1'] });
    const next = await b.services.secrets.rotate('r2', SIGNING_KEY_VERIFY_MS);
    expect(next).toMatchObject({ added: true, retired: ['r1'], deleted: [] });
    await moveTo(a.clock.nowMs() + SIGNING_KEY_REFRESH_MS);
    expect(a.services.secrets.listKids().map((k) => k.kid)).toEqual(['r1', 'r2']);
    // A late retry of the earlier rotation does not end the newer key.
    const late = await a.services.secrets.rotate('r1', SIGNING_KEY_VERIFY_MS);
    expect(late).toMatchObject({ added: false, retired: [] });
    expect(a.services.secrets.listKids().find((k) => k.kid === 'r2')?.signUntilMs).toBeNull();
  });
});
