import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { loadConfig } from './app-config.js';

/** The variables named in the README's Configuration table (`A` / `B` rows name two). */
function readmeVariables(): string[] {
  const readme = readFileSync('README.md', 'utf8');
  const section = readme.slice(readme.indexOf('\n## Configuration\n'));
  const table = section.slice(0, section.indexOf('\n## ', 1));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]))
    .sort();
}

/** The variables of .env.example, set or commented out. */
function envExampleVariables(): string[] {
  const text = readFileSync('.env.example', 'utf8');
  return [...new Set([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]))].sort();
}

/** The variables app-config.ts validates: the properties of its EnvironmentVariables class. */
function validatedVariables(): string[] {
  const source = readFileSync('src/config/app-config.ts', 'utf8');
  const body = source.slice(source.indexOf('class EnvironmentVariables'));
  const declarations = body.slice(0, body.indexOf('\n}\n'));
  return [...declarations.matchAll(/\b([A-Z][A-Z0-9_]+)\?:/g)].map((match) => match[1]).sort();
}

/** Every variable at a valid value that is not its default, so leaving one out must show. */
const EVERY_VARIABLE: Record<string, string> = {
  NODE_ENV: 'production',
  PORT: '8080',
  HOST: '127.0.0.1',
  DATABASE_URL: 'postgresql://app@db:5432/shop',
  DATABASE_POOL_SIZE: '7',
  DATABASE_ACQUIRE_TIMEOUT_MS: '1000',
  DATABASE_LOCK_TIMEOUT_MS: '1000',
  DATABASE_STATEMENT_TIMEOUT_MS: '20000',
  CART_QUEUE_DEPTH: '4',
  MIGRATE_ON_START: 'false',
  DATA_DIR: '/var/lib/bff',
  PUBLIC_BASE_URL: 'https://shop.example.com',
  KLARNA_API_URL: 'https://api.klarna.com',
  KLARNA_USERNAME: 'PK1_abc',
  KLARNA_PASSWORD: 'secret',
  KLARNA_TIMEOUT_MS: '2500',
  PAYMENT_GATEWAY: 'cybersource',
  CYBERSOURCE_MERCHANT_ID: 'shop_merchant',
  CYBERSOURCE_ENDPOINT: 'https://ics2ws.ic3.com/commerce/1.x/transactionProcessor',
  // loadConfig checks that the file exists; its content is read by the gateway.
  CYBERSOURCE_P12_PATH: 'package.json',
  CYBERSOURCE_P12_PASSWORD: 'p12-secret',
  KLARNA_SLOW_CALL_MS: '1500',
  KLARNA_CIRCUIT_FAILURE_PERCENT: '40',
  KLARNA_CIRCUIT_WINDOW_MS: '20000',
  KLARNA_CIRCUIT_MIN_CALLS: '5',
  KLARNA_CIRCUIT_COOLDOWN_MS: '5000',
  KLARNA_RETRY_MAX_DELAY_MS: '30000',
  WEBHOOK_SECRET: 'x'.repeat(40),
  OPS_API_KEY: 'o'.repeat(20),
  LOG_LEVEL: 'warn',
  AUTHORIZATION_CALLBACK_GRACE_MS: '15000',
  PLACEMENT_ATTENTION_AFTER_MS: '600000',
  BODY_LIMIT_BYTES: '100000',
  JOBS_SCHEMA: 'jobs',
  CATALOG_URL: 'https://shop.example.com/api/catalog',
  CATALOG_TOKEN: 'catalog-token',
  CATALOG_TIMEOUT_MS: '1500',
  CATALOG_CACHE_MS: '0',
  MAX_LINE_QUANTITY: '20',
  TRUST_PROXY: '1',
  RATE_LIMIT_WINDOW_MS: '30000',
  RATE_LIMIT_MAX: '100',
  RATE_LIMIT_WEBHOOK_MAX: '0',
  RATE_LIMIT_SESSION_MAX: '3',
  RATE_LIMIT_SESSION_WINDOW_MS: '60000',
  OPS_PORT: '9100',
  SHUTDOWN_TIMEOUT_MS: '10000',
  SHUTDOWN_DELAY_MS: '3000',
  CART_RETENTION_DAYS: '14',
  PERSONAL_DATA_RETENTION_DAYS: '60',
  RETENTION_CRON: '0 4 * * 0',
  KLARNA_AUTO_CAPTURE: 'digital',
  RECONCILE_CRON: '*/10 * * * *',
  RECONCILE_DAYS: '14',
  SHIPPING_REQUIRED: 'false',
  MERCHANT_WEBHOOK_URL: 'https://oms.example.com/klarna-events',
  MERCHANT_WEBHOOK_SECRET: `whsec_${'A'.repeat(44)}`,
  MERCHANT_WEBHOOK_INCLUDE_CUSTOMER: 'true',
  MERCHANT_WEBHOOK_RETRY_HOURS: '24',
  MERCHANT_WEBHOOK_TIMEOUT_MS: '5000',
  MERCHANT_WEBHOOK_RETRY_BASE_MS: '1000',
  MERCHANT_WEBHOOK_POLL_MS: '500',
  DEMO_STOREFRONT: 'true',
  KLARNA_SDK_URL: 'https://cdn.example.com/klarna-payments.js',
  LOG_PRETTY: 'true',
};

/** What loading gives: the configuration, or the error that stopped it. */
function outcome(variables: Record<string, string>): unknown {
  try {
    return loadConfig(variables);
  } catch (error) {
    return { error: (error as Error).message };
  }
}

describe('documented configuration', () => {
  it('names the same variables in the README table, .env.example and the validated configuration', () => {
    const validated = validatedVariables();
    expect(validated.length).toBeGreaterThan(40);
    expect(readmeVariables()).toEqual(validated);
    expect(envExampleVariables()).toEqual(validated);
  });

  it('has a sample value for every documented variable, which loads', () => {
    expect(Object.keys(EVERY_VARIABLE).sort()).toEqual(readmeVariables());
    expect(outcome(EVERY_VARIABLE)).not.toHaveProperty('error');
  });

  it.each(readmeVariables())('reads %s: leaving it out changes the configuration', (name) => {
    const { [name]: _left, ...rest } = EVERY_VARIABLE;
    expect(outcome(rest)).not.toEqual(outcome(EVERY_VARIABLE));
  });
});
