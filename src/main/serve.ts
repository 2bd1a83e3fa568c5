import { renderProgress, seedStore } from '../modules/seed/index.js';
import { createTrackerAssets } from '../modules/tracker/index.js';
import type { Role } from '../platform/config.js';
import { loadConfig } from '../platform/config.js';
import type { Logger } from '../platform/log.js';
import { buildHttpApp } from './http.js';
import { openRuntime } from './runtime.js';
import { runSetup, type SetupResult } from './setup.js';

export interface ServeOptions {
  role: Role;
  port?: number;
  host?: string;
  /** Print to stdout (the banner); tests pass a sink. */
  print?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

function banner(
  url: string,
  setup: SetupResult | null,
  databaseLabel: string,
  snippet: string | null,
): string {
  const lines = [
    '',
    `  Footfall is running at ${url}`,
    `  Database: ${databaseLabel}`,
    '',
    `  Dashboard:      ${url}/`,
    `  Demo shop:      ${url}/demo/`,
    `  API reference:  ${url}/api/openapi.json`,
  ];
  if (setup) {
    lines.push(
      '',
      '  First start: created a demo organization, store and keys (shown once — keep them):',
      `    Sign in as:   ${setup.owner.email}`,
      ...(setup.owner.password ? [`    Password:     ${setup.owner.password}`] : []),
      `    Store:        ${setup.store.name} (${setup.store.id})`,
      `    Write key:    ${setup.writeKey}`,
      `    Secret key:   ${setup.secretKey}`,
      '',
      '  Install snippet for your store (with its Subresource Integrity hash):',
      `    ${snippet ?? ''}`,
    );
  }
  lines.push('');
  return lines.join('\n');
}

/** Starts one role of Footfall and handles SIGTERM/SIGINT: stop accepting, finish in-flight work, drain, exit. */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const config = loadConfig();
  const runtime = await openRuntime({ config, name: `footfall-${options.role}` });
  const logger: Logger = runtime.logger;
  let setup: SetupResult | null = null;
  if (
    (options.role === 'all' || options.role === 'api') &&
    (await runtime.accounts.countOrganizations()) === 0
  ) {
    setup = await runSetup(runtime);
    // Demo data: a month of realistic traffic, so the dashboard has something to show on the first visit.
    const store = await runtime.stores.findByPublicId(setup.store.id);
    if (store) {
      const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
      await seedStore(
        {
          database: runtime.database,
          clock: runtime.clock,
          reports: runtime.reports,
          stores: runtime.stores,
        },
        {
          storeId: store.id,
          events: 20_000,
          days: 30,
          seed: 1,
          onProgress: (progress) => process.stderr.write(`\r  Loading demo data ${renderProgress(progress)}`),
        },
      );
      process.stderr.write('\n');
      print('  Loaded 30 days of demo traffic into the demo store.');
    }
  }
  const { app } = await buildHttpApp(runtime, { role: options.role });
  // The in-process buffer has no other consumer: whoever ingests into it also drains it.
  const runsWorker =
    options.role === 'all' ||
    options.role === 'worker' ||
    (options.role === 'ingest' && runtime.redis === null);
  const port = options.port ?? config.port;
  const host = options.host ?? config.host;
  await app.listen({ port, host });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  const url =
    config.publicUrl ?? `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${boundPort}`;
  const databaseLabel =
    config.database.kind === 'sqlite'
      ? `SQLite ${config.database.path}`
      : `MySQL ${new URL(config.database.url).host}`;
  if (runsWorker) runtime.pipeline.worker.start();
  (options.print ?? ((line: string) => process.stdout.write(`${line}\n`)))(
    banner(
      url,
      setup,
      databaseLabel,
      setup ? (await createTrackerAssets()).snippet(url, setup.writeKey) : null,
    ),
  );
  logger.info({ role: options.role, url }, 'footfall started');

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      logger.info('shutting down: finishing in-flight requests');
      await app.refuseRequests();
      await app.close();
      // After the last request: the embedded buffer is drained into the database before it closes.
      if (runsWorker) await runtime.pipeline.worker.stop();
      await runtime.shutdown();
      logger.info('shut down cleanly');
    })();
    return closing;
  };
  return { url, close };
}

/**
 * SIGTERM/SIGINT: a clean shutdown, exit 0 (1 if it fails). Given the server while it is still starting, a
 * signal that arrives meanwhile shuts it down once it has started.
 */
export function installSignalHandlers(
  server: RunningServer | Promise<RunningServer>,
  logger: { error(obj: unknown, msg: string): void },
): void {
  const onSignal = () => {
    Promise.resolve(server)
      .then((running) => running.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
