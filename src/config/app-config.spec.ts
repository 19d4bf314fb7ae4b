import { describe, expect, it } from '@jest/globals';
import { ConfigurationError, loadConfig } from './app-config.js';

const PRODUCTION_BASICS = {
  NODE_ENV: 'production',
  DATABASE_URL: 'postgresql://app@db:5432/shop',
  WEBHOOK_SECRET: 'x'.repeat(40),
  OPS_API_KEY: 'o'.repeat(20),
  PUBLIC_BASE_URL: 'https://shop.example.com',
};

describe('loadConfig', () => {
  it('starts with nothing configured: embedded database, simulated Klarna, generated webhook secret', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBeUndefined();
    expect(config.klarna.username).toBeUndefined();
    expect(config.generatedSettings).toEqual(['WEBHOOK_SECRET']);
    expect(config.webhookSecret).toHaveLength(64);
    expect(config.paymentGateway).toBe('klarna');
    expect(config.cybersource).toEqual({
      merchantId: undefined,
      endpoint: 'https://ics2wstest.ic3.com/commerce/1.x/transactionProcessor',
      p12Path: undefined,
      p12Password: undefined,
    });
  });

  it.each([
    [{ PORT: 'abc' }, 'Invalid configuration: PORT="abc": PORT must be an integer number'],
    [{ PORT: '70000' }, 'Invalid configuration: PORT=70000: PORT must not be greater than 65535'],
    [{ DATABASE_URL: 'nonsense' }, 'DATABASE_URL="nonsense": DATABASE_URL must look like postgresql://'],
    [{ KLARNA_TIMEOUT_MS: '10ms' }, 'KLARNA_TIMEOUT_MS="10ms": KLARNA_TIMEOUT_MS must be an integer number'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL="loud"'],
    [{ WEBHOOK_SECRET: 'short' }, 'WEBHOOK_SECRET=(hidden): WEBHOOK_SECRET must be at least 32 characters'],
    [{ KLARNA_USERNAME: 'PK123' }, 'KLARNA_PASSWORD is required when KLARNA_USERNAME is set'],
    [{ NODE_ENV: 'production' }, 'DATABASE_URL is required when NODE_ENV=production'],
    [{ CATALOG_URL: 'ftp://catalog.example.com' }, 'CATALOG_URL="ftp://catalog.example.com"'],
    [{ CATALOG_TIMEOUT_MS: '2s' }, 'CATALOG_TIMEOUT_MS="2s": CATALOG_TIMEOUT_MS must be an integer number'],
    [{ CATALOG_CACHE_MS: '-1' }, 'CATALOG_CACHE_MS=-1: CATALOG_CACHE_MS must not be less than 0'],
    [{ MAX_LINE_QUANTITY: '0' }, 'MAX_LINE_QUANTITY=0: MAX_LINE_QUANTITY must not be less than 1'],
    [{ MAX_LINE_QUANTITY: '1001' }, 'MAX_LINE_QUANTITY=1001: MAX_LINE_QUANTITY must not be greater than 1000'],
    [{ PAYMENT_GATEWAY: 'paypal' }, 'PAYMENT_GATEWAY="paypal": PAYMENT_GATEWAY must be one of the following values'],
    [{ CYBERSOURCE_MERCHANT_ID: 'shop one' }, 'CYBERSOURCE_MERCHANT_ID must be letters, digits or _'],
    [{ CYBERSOURCE_ENDPOINT: 'ics2wstest' }, 'CYBERSOURCE_ENDPOINT="ics2wstest"'],
    [{ CYBERSOURCE_MERCHANT_ID: 'shop_one' }, 'CYBERSOURCE_P12_PATH is required when CYBERSOURCE_MERCHANT_ID is set'],
    [
      { CYBERSOURCE_MERCHANT_ID: 'shop_one', CYBERSOURCE_P12_PATH: '/nowhere.p12' },
      'CYBERSOURCE_P12_PASSWORD is required when CYBERSOURCE_MERCHANT_ID is set',
    ],
    [
      {
        PAYMENT_GATEWAY: 'cybersource',
        CYBERSOURCE_MERCHANT_ID: 'shop_one',
        CYBERSOURCE_P12_PATH: '/nowhere.p12',
        CYBERSOURCE_P12_PASSWORD: 'secret',
      },
      'CYBERSOURCE_P12_PATH="/nowhere.p12": no such file',
    ],
    [
      { ...PRODUCTION_BASICS, PAYMENT_GATEWAY: 'cybersource' },
      'CYBERSOURCE_MERCHANT_ID is required when NODE_ENV=production',
    ],
    [{ ...PRODUCTION_BASICS }, 'KLARNA_USERNAME is required when NODE_ENV=production'],
    [{ TRUST_PROXY: 'yes please' }, 'TRUST_PROXY="yes please": TRUST_PROXY must be true, false, a hop count'],
    [{ RATE_LIMIT_MAX: '-1' }, 'RATE_LIMIT_MAX=-1: RATE_LIMIT_MAX must not be less than 0'],
    [{ RATE_LIMIT_WINDOW_MS: '10' }, 'RATE_LIMIT_WINDOW_MS=10: RATE_LIMIT_WINDOW_MS must not be less than 1000'],
    [{ OPS_PORT: 'ops' }, 'OPS_PORT="ops": OPS_PORT must be an integer number'],
    [
      { SHUTDOWN_TIMEOUT_MS: '5000', SHUTDOWN_DELAY_MS: '5000' },
      'SHUTDOWN_DELAY_MS must be shorter than SHUTDOWN_TIMEOUT_MS',
    ],
    [{ CART_RETENTION_DAYS: '0' }, 'CART_RETENTION_DAYS=0: CART_RETENTION_DAYS must not be less than 1'],
    [{ RETENTION_CRON: 'daily' }, 'RETENTION_CRON="daily": RETENTION_CRON must be a 5-field cron expression or off'],
    [{ RECONCILE_CRON: 'hourly' }, 'RECONCILE_CRON="hourly": RECONCILE_CRON must be a 5-field cron expression or off'],
    [{ RECONCILE_DAYS: '0' }, 'RECONCILE_DAYS=0: RECONCILE_DAYS must not be less than 1'],
    [
      { KLARNA_AUTO_CAPTURE: 'yes' },
      'KLARNA_AUTO_CAPTURE="yes": KLARNA_AUTO_CAPTURE must be one of the following values',
    ],
  ])('refuses %j with one line naming the variable', (environment, expected) => {
    expect(() => loadConfig(environment)).toThrow(ConfigurationError);
    expect(() => loadConfig(environment)).toThrow(expected);
    try {
      loadConfig(environment);
    } catch (error) {
      expect((error as Error).message).not.toContain('\n');
    }
  });

  it('production with PAYMENT_GATEWAY=cybersource needs CyberSource credentials, not Klarna ones', () => {
    const config = loadConfig({
      ...PRODUCTION_BASICS,
      PAYMENT_GATEWAY: 'cybersource',
      CYBERSOURCE_MERCHANT_ID: 'shop_one',
      CYBERSOURCE_ENDPOINT: 'https://ics2ws.ic3.com/commerce/1.x/transactionProcessor',
      CYBERSOURCE_P12_PATH: 'package.json',
      CYBERSOURCE_P12_PASSWORD: 'secret',
    });
    expect(config).toMatchObject({
      paymentGateway: 'cybersource',
      cybersource: {
        merchantId: 'shop_one',
        endpoint: 'https://ics2ws.ic3.com/commerce/1.x/transactionProcessor',
        p12Path: 'package.json',
        p12Password: 'secret',
      },
    });
    expect(config.klarna.username).toBeUndefined();
  });

  it('never echoes a secret in its error', () => {
    expect(() => loadConfig({ OPS_API_KEY: 'tiny-secret' })).toThrow('OPS_API_KEY=(hidden)');
    expect(() => loadConfig({ CATALOG_TOKEN: 123 as unknown as string })).toThrow('CATALOG_TOKEN=(hidden)');
  });

  it('prices from PostgreSQL by default, with a line limit of 99', () => {
    expect(loadConfig({})).toMatchObject({
      catalog: { url: undefined, token: undefined, timeoutMs: 2000, cacheMs: 30_000 },
      maxLineQuantity: 99,
    });
  });

  it('has defaults for the operational settings, with the ops port only in production', () => {
    expect(loadConfig({})).toMatchObject({
      trustProxy: false,
      rateLimit: { windowMs: 60_000, max: 300, webhookMax: 3000, sessionMax: 10, sessionWindowMs: 600_000 },
      opsPort: undefined,
      shutdown: { timeoutMs: 25_000, delayMs: 0 },
      retention: { cartDays: 30, personalDataDays: 90, cron: '30 3 * * *' },
      reconcile: { cron: '17 * * * *', days: 7 },
      klarna: { autoCapture: 'none' },
    });
    const production = loadConfig({
      NODE_ENV: 'production',
      DATABASE_URL: 'postgresql://app@db:5432/shop',
      PUBLIC_BASE_URL: 'https://shop.example.com',
      KLARNA_USERNAME: 'PK1',
      KLARNA_PASSWORD: 'secret',
      WEBHOOK_SECRET: 'x'.repeat(40),
      OPS_API_KEY: 'o'.repeat(20),
    });
    expect(production.opsPort).toBe(9090);
    expect(production.generatedSettings).toEqual([]);
  });

  it('serves the demo storefront outside production only, unless DEMO_STOREFRONT says otherwise', () => {
    const production = { ...PRODUCTION_BASICS, KLARNA_USERNAME: 'PK1', KLARNA_PASSWORD: 'secret' };
    expect(loadConfig({}).demoStorefront).toEqual({ enabled: true, klarnaSdkUrl: undefined });
    expect(loadConfig({ NODE_ENV: 'test' }).demoStorefront.enabled).toBe(true);
    expect(loadConfig(production).demoStorefront.enabled).toBe(false);
    expect(loadConfig({ ...production, DEMO_STOREFRONT: 'true' }).demoStorefront.enabled).toBe(true);
    expect(loadConfig({ DEMO_STOREFRONT: 'false' }).demoStorefront.enabled).toBe(false);
    expect(loadConfig({ KLARNA_SDK_URL: 'https://cdn.example.test/kp.js' }).demoStorefront.klarnaSdkUrl).toBe(
      'https://cdn.example.test/kp.js',
    );
    expect(() => loadConfig({ DEMO_STOREFRONT: 'yes' })).toThrow('DEMO_STOREFRONT="yes"');
  });

  it('writes JSON logs unless LOG_PRETTY=true or a developer watches a terminal', () => {
    // Jest's stdout is no terminal: JSON, as in production and CI.
    expect(loadConfig({}).prettyLogs).toBe(false);
    expect(loadConfig({ LOG_PRETTY: 'true' }).prettyLogs).toBe(true);
    expect(loadConfig({ LOG_PRETTY: 'false' }).prettyLogs).toBe(false);
  });

  it('turns the retention schedule off with RETENTION_CRON=off', () => {
    expect(loadConfig({ RETENTION_CRON: 'off' }).retention.cron).toBeUndefined();
  });

  it('turns the reconciliation schedule off with RECONCILE_CRON=off', () => {
    expect(loadConfig({ RECONCILE_CRON: 'off' }).reconcile.cron).toBeUndefined();
  });

  it.each([
    ['true', true],
    ['false', false],
    ['2', 2],
    ['10.0.0.0/8, 127.0.0.1', '10.0.0.0/8,127.0.0.1'],
  ])('reads TRUST_PROXY=%s as Fastify takes it', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('reads every documented variable', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgresql://app@db:5432/shop',
      PUBLIC_BASE_URL: 'https://shop.example.com/',
      KLARNA_API_URL: 'https://api.klarna.com',
      KLARNA_USERNAME: 'PK1_abc',
      KLARNA_PASSWORD: 'secret',
      KLARNA_TIMEOUT_MS: '2500',
      WEBHOOK_SECRET: 'x'.repeat(40),
      OPS_API_KEY: 'o'.repeat(20),
      LOG_LEVEL: 'warn',
      MIGRATE_ON_START: 'false',
      KLARNA_RETRY_MAX_DELAY_MS: '30000',
      PLACEMENT_ATTENTION_AFTER_MS: '600000',
      CATALOG_URL: 'https://shop.example.com/api/catalog/',
      CATALOG_TOKEN: 'catalog-token',
      CATALOG_TIMEOUT_MS: '1500',
      CATALOG_CACHE_MS: '0',
      MAX_LINE_QUANTITY: '20',
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
    });
    expect(config).toMatchObject({
      port: 8080,
      databaseUrl: 'postgresql://app@db:5432/shop',
      publicBaseUrl: 'https://shop.example.com',
      klarna: {
        apiUrl: 'https://api.klarna.com',
        username: 'PK1_abc',
        password: 'secret',
        timeoutMs: 2500,
        retryMaxDelayMs: 30_000,
        autoCapture: 'digital',
      },
      reconcile: { cron: '*/10 * * * *', days: 14 },
      placementAttentionAfterMs: 600_000,
      logLevel: 'warn',
      migrateOnStart: false,
      catalog: { url: 'https://shop.example.com/api/catalog', token: 'catalog-token', timeoutMs: 1500, cacheMs: 0 },
      maxLineQuantity: 20,
      generatedSettings: [],
      rateLimit: { windowMs: 30_000, max: 100, webhookMax: 0, sessionMax: 3, sessionWindowMs: 60_000 },
      opsPort: 9100,
      shutdown: { timeoutMs: 10_000, delayMs: 3000 },
      retention: { cartDays: 14, personalDataDays: 60, cron: '0 4 * * 0' },
    });
  });
  it('reads the merchant webhook settings, with delivery off and 72 hours of retries by default', () => {
    expect(loadConfig({}).merchantWebhook).toEqual({
      url: undefined,
      secret: undefined,
      includeCustomer: false,
      retryHours: 72,
      timeoutMs: 10_000,
      retryBaseMs: 5000,
      pollMs: 1000,
    });
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(
      loadConfig({
        MERCHANT_WEBHOOK_URL: 'https://oms.example.com/klarna-events',
        MERCHANT_WEBHOOK_SECRET: secret,
        MERCHANT_WEBHOOK_INCLUDE_CUSTOMER: 'true',
        MERCHANT_WEBHOOK_RETRY_HOURS: '0.5',
        MERCHANT_WEBHOOK_TIMEOUT_MS: '3000',
        MERCHANT_WEBHOOK_RETRY_BASE_MS: '100',
        MERCHANT_WEBHOOK_POLL_MS: '200',
      }).merchantWebhook,
    ).toEqual({
      url: 'https://oms.example.com/klarna-events',
      secret,
      includeCustomer: true,
      retryHours: 0.5,
      timeoutMs: 3000,
      retryBaseMs: 100,
      pollMs: 200,
    });
  });

  it.each([
    [{ MERCHANT_WEBHOOK_URL: 'https://oms.example.com/hook' }, /MERCHANT_WEBHOOK_SECRET is required/],
    [{ MERCHANT_WEBHOOK_SECRET: 'not-a-whsec-secret' }, /MERCHANT_WEBHOOK_SECRET=\(hidden\)/],
    [{ MERCHANT_WEBHOOK_RETRY_HOURS: '0' }, /MERCHANT_WEBHOOK_RETRY_HOURS="0"/],
    [{ MERCHANT_WEBHOOK_RETRY_HOURS: 'three' }, /MERCHANT_WEBHOOK_RETRY_HOURS/],
  ])('refuses bad merchant webhook settings: %j', (environment, message) => {
    expect(() => loadConfig(environment)).toThrow(message);
  });
});
