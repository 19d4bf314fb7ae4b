/**
 * Standalone CyberSource simulator: `npm run cybersource:sim`. PORT (default 4020), HOST. It writes a throw-away P12
 * for CYBERSOURCE_SIMULATOR_MERCHANT_ID (default simulated_merchant) and prints the settings that point the
 * service at it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCyberSourceSimulator } from './cybersource-simulator.js';
import { generateThrowawayP12 } from './throwaway-p12.js';

const merchantId = process.env.CYBERSOURCE_SIMULATOR_MERCHANT_ID ?? 'simulated_merchant';
const p12 = generateThrowawayP12(merchantId);
const p12Path = join(mkdtempSync(join(tmpdir(), 'cybersource-sim-')), 'merchant.p12');
writeFileSync(p12Path, p12.p12, { mode: 0o600 });
const simulator = await startCyberSourceSimulator({
  merchantId,
  certificatePem: p12.certificatePem,
  port: Number(process.env.PORT ?? 4020),
  host: process.env.HOST ?? '127.0.0.1',
  logCalls: process.env.CYBERSOURCE_SIMULATOR_LOG_CALLS === 'true',
});
console.log(`CyberSource simulator (NOT CyberSource) listening on ${simulator.url}`);
console.log(
  `PAYMENT_GATEWAY=cybersource CYBERSOURCE_MERCHANT_ID=${merchantId} CYBERSOURCE_ENDPOINT=${simulator.endpoint} ` +
    `CYBERSOURCE_P12_PATH=${p12Path} CYBERSOURCE_P12_PASSWORD=${p12.password}`,
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void simulator.close().then(() => process.exit(0));
  });
}
