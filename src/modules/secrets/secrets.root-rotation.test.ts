import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../../test/harness/databases.js';
import { createServices, type Services } from '../../main/modules.js';
import { createManualClock } from '../../platform/clock.js';
import { ConfigError, loadConfig } from '../../platform/config.js';
import { createLogger } from '../../platform/log.js';
import { SYSTEM_ACTOR } from '../audit/index.js';
import { type CronModule, createCronModule, previousSlot } from '../cron/index.js';
import { MAINTENANCE_JOBS, type RotateSecretsResult, registerMaintenanceJobs } from '../maintenance/index.js';
import { createPipelineMaintenanceService } from '../pipeline/index.js';
import type { Store } from '../stores/index.js';

// An operator rotates FOOTFALL_SECRET (it leaked, or policy says so): every instance restarts with the new
// secret and the old one in FOOTFALL_SECRET_PREVIOUS, `rotate-secrets` re-wraps the stored keys, and from
// then on the new secret alone opens them. Nothing signed before stops verifying, and nobody erased is
// forgotten (the suppression list's HMAC key is the same key, only wrapped anew).

const OLD = 'old-root-secret-that-is-long-enough-000000';
const NEW = 'new-root-secret-that-is-long-enough-000000';
const T0 = Date.parse('2026-11-25T12:00:00Z');

describe.each(DIALECTS)('rotating FOOTFALL_SECRET on %s', (dialect) => {
  let db: TestDatabase;
  let store: Store;
  let token = '';
  const opened: { services: Services; cron: CronModule }[] = [];

  const start = async (env: { FOOTFALL_SECRET: string; FOOTFALL_SECRET_PREVIOUS?: string }) => {
    const clock = createManualClock(T0);
    const config = loadConfig({ DATABASE_URL: db.url, ...env });
    const logger = createLogger({
      level: 'silent',
      destination: new Writable({ write: (_c, _e, d) => d() }),
    });
    const services = await createServices({ config, logger, database: db.database, redis: null, clock });
    const cron = createCronModule({
      database: db.database,
      clock,
      ids: services.ids,
      logger,
      instanceId: 'i',
    });
    registerMaintenanceJobs(cron, {
      database: db.database,
      clock,
      audit: services.audit,
      accounts: services.accounts,
      stores: services.stores,
      keys: services.keys,
      secrets: services.secrets,
      pipelineData: createPipelineMaintenanceService({ database: db.database }),
      privacy: services.privacy,
      options: { schedules: Object.fromEntries(MAINTENANCE_JOBS.map((name) => [name, '* * * * *'])) },
    });
    opened.push({ services, cron });
    return { services, cron, clock };
  };

  const rotate = async (instance: Awaited<ReturnType<typeof start>>, dryRun = false) => {
    instance.clock.advance(60_000);
    const slot = previousSlot('* * * * *', instance.clock.nowMs());
    if (slot === null) throw new Error('no slot');
    const run = await instance.cron.run('rotate-secrets', { slot, dryRun });
    if (!run.ok) throw run.error;
    expect(run.value.error).toBeNull();
    return run.value.result as RotateSecretsResult;
  };

  beforeAll(async () => {
    db = await createTestDatabase(dialect);
    const first = await start({ FOOTFALL_SECRET: OLD });
    const { services } = first;
    const organization = await services.accounts.createOrganization('Rotation org', SYSTEM_ACTOR);
    store = await services.stores.create(organization.id, { name: 'Rotation store' }, SYSTEM_ACTOR);
    await services.privacy.service.requestErasure(store, { userId: 'erased-person' }, SYSTEM_ACTOR);
    token = services.secrets.signer.sign('export', 'link-data');
  });

  afterAll(async () => {
    for (const { services, cron } of opened) {
      await cron.close({ timeoutMs: 1000 });
      services.secrets.stop();
    }
    await db?.drop();
  });

  it('refuses to start with a new secret alone, naming FOOTFALL_SECRET_PREVIOUS', async () => {
    await expect(start({ FOOTFALL_SECRET: NEW })).rejects.toThrow(/FOOTFALL_SECRET_PREVIOUS/);
  });

  it('refuses a previous secret without a new one, or equal to it', () => {
    expect(() => loadConfig({ DATABASE_URL: db.url, FOOTFALL_SECRET_PREVIOUS: OLD })).toThrow(ConfigError);
    expect(() =>
      loadConfig({ DATABASE_URL: db.url, FOOTFALL_SECRET: OLD, FOOTFALL_SECRET_PREVIOUS: OLD }),
    ).toThrow(/FOOTFALL_SECRET_PREVIOUS/);
  });

  it('with both secrets, verifies what was signed before and re-wraps every stored key once', async () => {
    const both = await start({ FOOTFALL_SECRET: NEW, FOOTFALL_SECRET_PREVIOUS: OLD });
    expect(both.services.secrets.signer.verify('export', 'link-data', token)).toBe(true);
    expect(await both.services.privacy.isSuppressed(store.id, 'erased-person', null)).toBe(true);

    const dry = await rotate(both, true);
    expect(dry.rewrapped.sort()).toEqual(['k1', 'subject-hmac-v1']);
    const run = await rotate(both);
    expect(run.rewrapped.sort()).toEqual(['k1', 'subject-hmac-v1']);
    expect((await rotate(both)).rewrapped).toEqual([]);
  });

  it('then starts with the new secret alone: old tokens verify, the erased person stays suppressed', async () => {
    const next = await start({ FOOTFALL_SECRET: NEW });
    expect(next.services.secrets.signer.verify('export', 'link-data', token)).toBe(true);
    expect(next.services.secrets.signer.verify('export', 'other-data', token)).toBe(false);
    expect(await next.services.privacy.isSuppressed(store.id, 'erased-person', null)).toBe(true);
    expect(await next.services.privacy.isSuppressed(store.id, 'someone-else', null)).toBe(false);
  });

  it('and the old secret alone no longer opens anything', async () => {
    await expect(start({ FOOTFALL_SECRET: OLD })).rejects.toThrow(/cannot be unwrapped/);
  });
});
