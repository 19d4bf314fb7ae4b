import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { pino } from 'pino';
import { createApp } from './app.factory.js';
import { prettyTransport } from './common/logging.js';
import type { AppConfig } from './config/app-config.js';
import type { EmbeddedDatabase } from './database/embedded-database.js';
import { MIGRATIONS_DIR } from './database/migrations-dir.js';
import { ensureDatabase, migrate } from './database/migrator.js';
import type { KlarnaSimulator } from './klarna-simulator/klarna-simulator.js';
import type { CyberSourceSimulator } from './cybersource-simulator/cybersource-simulator.js';
import { LifecycleService } from './lifecycle/lifecycle.service.js';
import { listenOps } from './ops/ops-listener.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Runtime {
  app: NestFastifyApplication;
  url: string;
  stop(): Promise<void>;
  /**
   * The graceful stop of a signal, bounded by SHUTDOWN_TIMEOUT_MS: the exit code (0 when everything finished in
   * time; 1 after one `shutdown.timeout` log line naming what was still running).
   */
  shutdown(signal: string): Promise<number>;
}

/**
 * Starts everything the service needs: the Klarna simulator when no Klarna credentials are set (or the
 * CyberSource simulator with a throw-away P12 when PAYMENT_GATEWAY=cybersource and no merchant id is set), the
 * embedded PostgreSQL when no DATABASE_URL is set, the database and its migrations, then the HTTP server. `stop()` closes them in reverse order.
 * The simulators and the embedded server are imported only when used: a production process does not hold their
 * modules (node-forge, the XML signature and builder libraries, a second Fastify) in its heap.
 */
export async function startRuntime(config: AppConfig): Promise<Runtime> {
  const log = pino({
    level: config.logLevel,
    base: { service: 'klarna-checkout-bff' },
    transport: prettyTransport(config.prettyLogs),
  });
  for (const setting of config.generatedSettings) {
    log.warn(
      { event: 'config.generated', setting },
      `${setting} is not set: using one generated once and kept in the database (development only)`,
    );
  }
  if (config.opsApiKey === undefined) {
    log.warn({ event: 'config.ops_disabled' }, 'OPS_API_KEY is not set: the operations endpoints refuse every caller');
  }

  let simulator: KlarnaSimulator | undefined;
  let cyberSourceSimulator: { simulator: CyberSourceSimulator; p12Dir: string } | undefined;
  let klarna = config.klarna;
  let cybersource = config.cybersource;
  if (config.paymentGateway === 'cybersource') {
    if (cybersource.merchantId === undefined) {
      const merchantId = 'simulated_merchant';
      const { generateThrowawayP12 } = await import('./cybersource-simulator/throwaway-p12.js');
      const { startCyberSourceSimulator } = await import('./cybersource-simulator/cybersource-simulator.js');
      const p12 = generateThrowawayP12(merchantId);
      const p12Dir = mkdtempSync(join(tmpdir(), 'cybersource-sim-'));
      const p12Path = join(p12Dir, 'merchant.p12');
      writeFileSync(p12Path, p12.p12, { mode: 0o600 });
      const started = await startCyberSourceSimulator({ merchantId, certificatePem: p12.certificatePem, port: 0 });
      cyberSourceSimulator = { simulator: started, p12Dir };
      cybersource = { merchantId, endpoint: started.endpoint, p12Path, p12Password: p12.password };
      log.warn(
        { event: 'cybersource.simulated', url: started.url },
        'CYBERSOURCE_MERCHANT_ID is not set: CyberSource is SIMULATED by the built-in CyberSource simulator with a throw-away P12 (no real payments; see src/cybersource-simulator/README.md)',
      );
    }
    log.info(
      { event: 'payment_gateway.selected', gateway: 'cybersource', endpoint: cybersource.endpoint },
      'Payment gateway: Klarna through CyberSource (Simple Order API)',
    );
  } else if (klarna.username === undefined) {
    const { startKlarnaSimulator } = await import('./klarna-simulator/klarna-simulator.js');
    simulator = await startKlarnaSimulator({ port: 0, password: randomBytes(16).toString('hex') });
    klarna = { ...klarna, apiUrl: simulator.url, username: simulator.username, password: simulator.password };
    log.warn(
      { event: 'klarna.simulated', url: simulator.url },
      'KLARNA_USERNAME is not set: Klarna is SIMULATED by the built-in Klarna simulator (no real payments; see src/klarna-simulator/README.md)',
    );
  }
  if (config.paymentGateway === 'klarna') {
    log.info({ event: 'payment_gateway.selected', gateway: 'klarna', url: klarna.apiUrl }, 'Payment gateway: Klarna');
  }
  const stopSimulators = async () => {
    await simulator?.close();
    await cyberSourceSimulator?.simulator.close();
  };

  let embedded: EmbeddedDatabase | undefined;
  let databaseUrl = config.databaseUrl;
  if (databaseUrl === undefined) {
    const { startEmbeddedDatabase } = await import('./database/embedded-database.js');
    embedded = await startEmbeddedDatabase(config.dataDir);
    databaseUrl = embedded.url;
    log.warn(
      { event: 'database.embedded', dataDir: config.dataDir },
      'DATABASE_URL is not set: using the EMBEDDED PostgreSQL default (development only)',
    );
  }
  try {
    if (config.migrateOnStart || embedded) {
      if (await ensureDatabase(databaseUrl)) log.info({ event: 'database.created' }, 'Database created');
      const result = await migrate(databaseUrl, MIGRATIONS_DIR);
      log.info({ event: 'migrations.applied', applied: result.applied }, 'Migrations up to date');
    }
    let app: NestFastifyApplication;
    try {
      app = await createApp({ ...config, databaseUrl, klarna, cybersource });
    } finally {
      // The gateway read the throw-away P12 while the app was created: no key stays on disk.
      if (cyberSourceSimulator) rmSync(cyberSourceSimulator.p12Dir, { recursive: true, force: true });
    }
    await app.listen({ port: config.port, host: config.host });
    const opsServer = await listenOps(app, config);
    const url = await app.getUrl();
    log.info({ event: 'service.started', url, opsPort: config.opsPort }, 'Klarna checkout BFF listening');
    if (opsServer)
      log.info({ event: 'ops.started', port: config.opsPort }, '/metrics, /docs and readiness details on the ops port');
    const stop = async () => {
      await app.close();
      await stopSimulators();
      await embedded?.stop();
    };
    return {
      app,
      url,
      stop,
      async shutdown(signal) {
        log.info({ event: 'shutdown.requested', signal, timeoutMs: config.shutdown.timeoutMs });
        const lifecycle = app.get(LifecycleService);
        lifecycle.startDeadline();
        let timer: NodeJS.Timeout | undefined;
        const expired = new Promise<number>((resolve) => {
          timer = setTimeout(() => {
            log.error(
              { event: 'shutdown.timeout', timeoutMs: config.shutdown.timeoutMs, stillRunning: lifecycle.unfinished() },
              'Shutdown did not finish in time: exiting with work still running',
            );
            resolve(1);
          }, config.shutdown.timeoutMs);
        });
        const finished = stop().then(
          () => {
            log.info({ event: 'service.stopped', cutWork: lifecycle.cutWork }, 'Stopped');
            // A stop that had to cut requests is a forced one: orchestrators see it in the exit code.
            return lifecycle.cutWork ? 1 : 0;
          },
          (error: unknown) => {
            log.error({ event: 'shutdown.failed', err: error }, 'Shutdown failed');
            return 1;
          },
        );
        try {
          return await Promise.race([finished, expired]);
        } finally {
          clearTimeout(timer);
        }
      },
    };
  } catch (error) {
    await stopSimulators();
    await embedded?.stop();
    throw error;
  }
}
