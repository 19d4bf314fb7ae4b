/** Standalone Klarna simulator: `npm run klarna:sim`. PORT (default 4010), KLARNA_SIMULATOR_USERNAME/PASSWORD. */
import { startKlarnaSimulator } from './klarna-simulator.js';

const simulator = await startKlarnaSimulator({
  port: Number(process.env.PORT ?? 4010),
  host: process.env.HOST ?? '127.0.0.1',
  username: process.env.KLARNA_SIMULATOR_USERNAME ?? 'simulator',
  password: process.env.KLARNA_SIMULATOR_PASSWORD ?? 'simulator',
  logCalls: process.env.KLARNA_SIMULATOR_LOG_CALLS === 'true',
});
console.log(`Klarna simulator (NOT Klarna) listening on ${simulator.url}`);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
