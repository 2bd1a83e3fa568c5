import { parseArgs } from 'node:util';
import type { KeyType } from '../modules/keys/index.js';
import { renderProgress, seedStore } from '../modules/seed/index.js';
import { parseDurationMs } from '../platform/clock.js';
import { ConfigError, loadConfig, ROLES, type Role } from '../platform/config.js';
import { AppError } from '../platform/errors.js';
import { parsePublicId } from '../platform/ids.js';
import { announceReady, isClusterWorker, parseProcesses, processesRefusal, runPrimary } from './cluster.js';
import { openRuntime } from './runtime.js';
import { installSignalHandlers, serve } from './serve.js';
import { runSetup } from './setup.js';

const USAGE = `footfall — event tracking for eCommerce stores

Usage:
  footfall serve [--role all|api|ingest|worker] [--port N] [--host H] [--processes N|auto]
  footfall migrate
  footfall setup [--email E] [--json]
  footfall stores create --name N [--org ORG_ID] [--json]
  footfall stores list [--json]
  footfall keys create --store STORE_ID --type publishable|secret [--scopes a,b] [--expires-in 30d] [--name N] [--json]
  footfall keys list --store STORE_ID [--json]
  footfall keys rotate KEY_ID [--grace 24h|0] [--json]
  footfall keys revoke KEY_ID [--json]
  footfall seed --store STORE_ID [--events 100000] [--days 30] [--seed 1] [--json]
  footfall cron list [--json]
  footfall cron run JOB [--dry-run] [--json]
  footfall cron token create [--name N] [--expires-in 365d] [--json]
  footfall cron token rotate TOKEN_ID [--grace 24h] [--json]
  footfall cron token revoke TOKEN_ID [--json]
  footfall cron schedule --format crontab|eventbridge|k8s [--base-url URL]

Configuration comes from the environment (DATABASE_URL, REDIS_URL, PORT, HOST, FOOTFALL_SECRET, …); see README.`;

class UsageError extends Error {}

function print(json: boolean, value: unknown, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${human}\n`);
}

async function withRuntime<T>(
  work: (runtime: Awaited<ReturnType<typeof openRuntime>>) => Promise<T>,
): Promise<T> {
  const { createLogger } = await import('../platform/log.js');
  const config = loadConfig();
  // CLI commands log only warnings, to stderr, so stdout carries nothing but the answer.
  const logger = createLogger({ level: 'warn', destination: process.stderr });
  const runtime = await openRuntime({ config, logger, name: 'footfall-cli' });
  try {
    return await work(runtime);
  } finally {
    await runtime.shutdown();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      processes: { type: 'string' },
      json: { type: 'boolean', default: false },
      email: { type: 'string' },
      name: { type: 'string' },
      org: { type: 'string' },
      store: { type: 'string' },
      type: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in': { type: 'string' },
      grace: { type: 'string' },
      format: { type: 'string' },
      events: { type: 'string' },
      days: { type: 'string' },
      seed: { type: 'string' },
      'base-url': { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const json = values.json === true;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 1 : 0;
  }

  switch (command) {
    case 'serve': {
      const role = (values.role ?? 'all') as Role;
      if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const port = values.port === undefined ? undefined : Number(values.port);
      if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) {
        throw new UsageError('--port must be a port number');
      }
      const processes = parseProcesses(values.processes);
      if (typeof processes === 'string') throw new UsageError(processes);
      if (processes > 1 && !isClusterWorker()) {
        const refusal = processesRefusal(processes, role, loadConfig());
        if (refusal !== null) throw new UsageError(refusal);
        runPrimary({
          count: processes,
          role,
          print: (line) => process.stdout.write(`${line}\n`),
          warn: (line) => process.stderr.write(`${line}\n`),
        });
        return -1;
      }
      // A process of a cluster leaves the banner to the primary.
      const starting = serve({
        role,
        port,
        host: values.host,
        ...(isClusterWorker() ? { print: () => undefined } : {}),
      });
      // Before the banner is out: a signal sent on seeing it must find the handlers (installed after serve()
      // returned, they missed a SIGINT sent right after the banner on a loaded machine).
      installSignalHandlers(starting, {
        error: (obj, msg) => process.stderr.write(`${msg}: ${String(obj)}\n`),
      });
      announceReady((await starting).url);
      return -1;
    }
    case 'migrate': {
      await withRuntime(async () => undefined);
      print(json, { migrated: true }, 'Migrations are up to date.');
      return 0;
    }
    case 'setup': {
      const result = await withRuntime((runtime) => runSetup(runtime, { email: values.email }));
      print(
        json,
        {
          store: { id: result.store.id },
          writeKey: result.writeKey,
          secretKey: result.secretKey,
          owner: result.owner,
        },
        [
          `Organization: ${result.organization.name} (${result.organization.id})${result.organization.created ? ' — created' : ''}`,
          `Store:        ${result.store.name} (${result.store.id})${result.store.created ? ' — created' : ''}`,
          `Owner:        ${result.owner.email}${result.owner.password ? `  password: ${result.owner.password}` : ''}`,
          `Write key:    ${result.writeKey}`,
          `Secret key:   ${result.secretKey}`,
        ].join('\n'),
      );
      return 0;
    }
    case 'stores': {
      const [sub] = positionals;
      if (sub === 'create') {
        if (!values.name) throw new UsageError('stores create needs --name');
        const store = await withRuntime(async (runtime) => {
          const organization = values.org
            ? await runtime.accounts.findOrganizationByPublicId(values.org)
            : await runtime.accounts.firstOrganization();
          if (!organization)
            throw new UsageError(
              values.org
                ? `no organization ${values.org}`
                : 'no organization yet: run `footfall setup` first',
            );
          return runtime.stores.create(
            organization.id,
            { name: values.name as string },
            {
              type: 'system',
              id: null,
              label: 'footfall cli',
            },
          );
        });
        print(
          json,
          { id: store.publicId, name: store.name },
          `Created store ${store.name} (${store.publicId})`,
        );
        return 0;
      }
      if (sub === 'list') {
        const stores = await withRuntime((runtime) => runtime.stores.listAll());
        print(
          json,
          stores.map((s) => ({ id: s.publicId, name: s.name })),
          stores.map((s) => `${s.publicId}  ${s.name}`).join('\n') || 'No stores.',
        );
        return 0;
      }
      throw new UsageError('stores needs a subcommand: create, list');
    }
    case 'keys': {
      const [sub, keyId] = positionals;
      const system = { type: 'system' as const, id: null, label: 'footfall cli' };
      if (sub === 'create') {
        if (!values.store) throw new UsageError('keys create needs --store');
        if (values.type !== 'publishable' && values.type !== 'secret') {
          throw new UsageError('keys create needs --type publishable or --type secret');
        }
        let expiresInMs: number | undefined;
        if (values['expires-in'] !== undefined) {
          const ms = parseDurationMs(values['expires-in']);
          if (ms === null) throw new UsageError('--expires-in takes a duration like 30d, 12h, 90m');
          expiresInMs = ms;
        }
        const created = await withRuntime(async (runtime) => {
          const store = await runtime.stores.findByPublicId(values.store as string);
          if (!store) throw new UsageError(`no store ${values.store}`);
          return runtime.keys.create(
            store,
            {
              type: values.type as KeyType,
              name: values.name,
              scopes: values.scopes
                ?.split(',')
                .map((s) => s.trim())
                .filter(Boolean),
              expiresInMs,
            },
            system,
          );
        });
        const out = {
          id: created.key.publicId,
          key: created.secret,
          type: created.key.type,
          scopes: created.key.scopes,
          expiresAt: created.key.expiresAt === null ? null : new Date(created.key.expiresAt).toISOString(),
        };
        print(
          json,
          out,
          `Created ${out.type} key ${out.id}\n${out.key}\n(shown once: only its hash is stored)`,
        );
        return 0;
      }
      if (sub === 'list') {
        if (!values.store) throw new UsageError('keys list needs --store');
        const views = await withRuntime(async (runtime) => {
          const store = await runtime.stores.findByPublicId(values.store as string);
          if (!store) throw new UsageError(`no store ${values.store}`);
          return (await runtime.keys.list(store)).map((k) => runtime.keys.toPublicView(k));
        });
        print(
          json,
          views,
          views.map((k) => `${k.id}  ${k.type.padEnd(11)} ${k.prefix}…${k.last4}  ${k.status}`).join('\n'),
        );
        return 0;
      }
      if (sub === 'rotate' || sub === 'revoke') {
        const uid = parsePublicId('key', keyId);
        if (!uid) throw new UsageError(`keys ${sub} needs a key id (key_…)`);
        let graceMs: number | undefined;
        if (values.grace !== undefined) {
          const ms = values.grace === '0' ? 0 : parseDurationMs(values.grace);
          if (ms === null) throw new UsageError('--grace takes a duration like 24h, 7d or 0');
          graceMs = ms;
        }
        const out = await withRuntime(async (runtime) => {
          const key = await runtime.keys.repository.findByUidAnyStore(uid);
          const store = key ? await runtime.stores.findById(key.storeId) : null;
          if (!key || !store) throw new UsageError(`no key ${keyId}`);
          if (sub === 'revoke')
            return { revoked: runtime.keys.toPublicView(await runtime.keys.revoke(store, key, system)) };
          const rotated = await runtime.keys.rotate(store, key, graceMs, system);
          return {
            id: rotated.key.publicId,
            key: rotated.secret,
            type: rotated.key.type,
            scopes: rotated.key.scopes,
            expiresAt: rotated.key.expiresAt === null ? null : new Date(rotated.key.expiresAt).toISOString(),
            previous: runtime.keys.toPublicView(rotated.previous),
          };
        });
        print(json, out, JSON.stringify(out, null, 2));
        return 0;
      }
      throw new UsageError('keys needs a subcommand: create, list, rotate, revoke');
    }
    case 'cron':
      return cronCommand(positionals, values, json);
    case 'seed': {
      if (!values.store) throw new UsageError('seed needs --store STORE_ID');
      const events = Number(values.events ?? 100_000);
      const days = Number(values.days ?? 30);
      if (!Number.isInteger(events) || events < 1)
        throw new UsageError('--events must be a positive integer');
      if (!Number.isInteger(days) || days < 1 || days > 3650) throw new UsageError('--days must be 1–3650');
      const result = await withRuntime(async (runtime) => {
        const store = await runtime.stores.findByPublicId(values.store as string);
        if (!store) throw new UsageError(`no store ${values.store}`);
        return seedStore(
          {
            database: runtime.database,
            clock: runtime.clock,
            reports: runtime.reports,
            stores: runtime.stores,
          },
          {
            storeId: store.id,
            events,
            days,
            seed: values.seed === undefined ? undefined : Number(values.seed),
            // Progress goes to stderr, so `--json` keeps stdout for the answer alone.
            onProgress: (progress) => process.stderr.write(`\r${renderProgress(progress)}`),
          },
        );
      });
      process.stderr.write('\n');
      print(json, result, JSON.stringify(result, null, 2));
      return 0;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

function unwrap<T>(result: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!result.ok) throw result.error;
  return result.value;
}

function durationOption(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = text === '0' ? 0 : parseDurationMs(text);
  if (ms === null) throw new UsageError(`--${name} takes a duration like 24h, 30d or 0`);
  return ms;
}

async function cronCommand(
  positionals: string[],
  values: Record<string, string | boolean | undefined>,
  json: boolean,
): Promise<number> {
  const [sub, arg, third] = positionals;
  if (sub === 'list') {
    const jobs = await withRuntime((runtime) => runtime.cron.listJobs());
    print(
      json,
      jobs,
      jobs
        .map(
          (j) =>
            `${j.name.padEnd(16)} ${j.schedule.padEnd(14)} last: ${j.lastRun?.status ?? 'never'}  ${j.description}`,
        )
        .join('\n'),
    );
    return 0;
  }
  if (sub === 'run') {
    if (!arg) throw new UsageError('cron run needs a job name (see `footfall cron list`)');
    const outcome = await withRuntime((runtime) =>
      runtime.cron.runJobNow(arg, { dryRun: values['dry-run'] === true }),
    );
    print(json, outcome, JSON.stringify(outcome, null, 2));
    return outcome.status === 'failed' ? 1 : 0;
  }
  if (sub === 'schedule') {
    const format = values.format;
    if (format !== 'crontab' && format !== 'eventbridge' && format !== 'k8s') {
      throw new UsageError('cron schedule needs --format crontab, eventbridge or k8s');
    }
    const text = await withRuntime(async (runtime) =>
      runtime.cron.renderSchedule(format, {
        baseUrl:
          (values['base-url'] as string | undefined) ??
          runtime.config.publicUrl ??
          'https://footfall.example.com',
      }),
    );
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
    return 0;
  }
  if (sub === 'token') {
    if (arg === 'create') {
      const created = await withRuntime(async (runtime) =>
        unwrap(
          await runtime.cron.createToken({
            name: (values.name as string | undefined) ?? 'scheduler',
            expiresInMs: durationOption('expires-in', values['expires-in'] as string | undefined),
          }),
        ),
      );
      print(
        json,
        { id: created.id, token: created.token },
        `Created cron token ${created.id}\n${created.token}\n(shown once)`,
      );
      return 0;
    }
    if (arg === 'rotate' || arg === 'revoke') {
      if (!third) throw new UsageError(`cron token ${arg} needs a token id (crt_…)`);
      const out = await withRuntime(async (runtime) =>
        arg === 'rotate'
          ? unwrap(
              await runtime.cron.rotateToken(
                third,
                durationOption('grace', values.grace as string | undefined),
              ),
            )
          : unwrap(await runtime.cron.revokeToken(third)),
      );
      print(json, out, JSON.stringify(out, null, 2));
      return 0;
    }
    throw new UsageError('cron token needs create, rotate or revoke');
  }
  throw new UsageError('cron needs a subcommand: list, run, token, schedule');
}

export async function runCli(argv: string[]): Promise<void> {
  try {
    const code = await main(argv);
    if (code >= 0) process.exit(code);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`footfall: ${error.message}\n\n${USAGE}\n`);
    } else if (error instanceof ConfigError) {
      process.stderr.write(`footfall: configuration error — ${error.message}\n`);
    } else if (error instanceof AppError) {
      process.stderr.write(`footfall: ${error.message}${error.field ? ` (${error.field})` : ''}\n`);
    } else {
      process.stderr.write(`footfall: ${(error as Error).message ?? String(error)}\n`);
    }
    process.exit(1);
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/cli.js')) {
  void runCli(process.argv.slice(2));
}
