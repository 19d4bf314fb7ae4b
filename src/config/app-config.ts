import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { plainToInstance } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';

/** The service's settings: one typed object, validated once at boot. Injected by this class. */
export class AppConfig {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly host: string;
  /** Absent: the embedded PostgreSQL is started (see src/database/embedded-database.ts). */
  readonly databaseUrl: string | undefined;
  readonly databasePoolSize: number;
  /** How long a request waits for a pooled connection before answering 503 SERVICE_BUSY. */
  readonly databaseAcquireTimeoutMs: number;
  /** PostgreSQL's lock_timeout and statement_timeout for the service's own connections. */
  readonly databaseLockTimeoutMs: number;
  readonly databaseStatementTimeoutMs: number;
  /** Requests for one cart that may wait in this instance while one runs (beyond: 429 CART_BUSY). */
  readonly cartQueueDepth: number;
  readonly migrateOnStart: boolean;
  readonly dataDir: string;
  readonly publicBaseUrl: string;
  readonly klarna: {
    /** Absent username: the Klarna simulator is started and used (offline sandbox). */
    readonly apiUrl: string;
    readonly username: string | undefined;
    readonly password: string | undefined;
    readonly timeoutMs: number;
    /** A call slower than this counts as a failure for the circuit breaker (its answer is still used). */
    readonly slowCallMs: number;
    /** The breaker opens when this share (percent) of the calls in the window failed or were slow... */
    readonly circuitFailurePercent: number;
    readonly circuitWindowMs: number;
    /** ...and the window saw at least this many calls. */
    readonly circuitMinCalls: number;
    readonly circuitCoolDownMs: number;
    /** Longest wait between background retries of a Klarna call that failed or whose outcome was unknown. */
    readonly retryMaxDelayMs: number;
    /** Create order with `auto_capture`: never, when every line is digital, or always. */
    readonly autoCapture: 'none' | 'digital' | 'all';
  };
  readonly reconcile: {
    /** pg-boss cron expression (UTC) of the reconciliation; undefined (RECONCILE_CRON=off): not scheduled here. */
    readonly cron: string | undefined;
    /** Orders created or changed within this many days are read back from Order Management. */
    readonly days: number;
  };
  /** Which gateway reaches Klarna: Klarna's own REST API, or Klarna through CyberSource's Simple Order API. */
  readonly paymentGateway: 'klarna' | 'cybersource';
  readonly cybersource: {
    /** Absent (with PAYMENT_GATEWAY=cybersource): the CyberSource simulator is started and used. */
    readonly merchantId: string | undefined;
    /** The transaction processor's SOAP endpoint. */
    readonly endpoint: string;
    /** The merchant's PKCS#12 file (key + certificate) from CyberSource's Business Center. */
    readonly p12Path: string | undefined;
    readonly p12Password: string | undefined;
  };
  readonly webhookSecret: string;
  /** Absent: the operations endpoints refuse every caller. */
  readonly opsApiKey: string | undefined;
  readonly logLevel: string;
  readonly authorizationCallbackGraceMs: number;
  /** A placement whose Klarna outcome is still unknown after this long becomes `needs_attention`. */
  readonly placementAttentionAfterMs: number;
  readonly bodyLimitBytes: number;
  /** PostgreSQL schema of the pg-boss job queue. */
  readonly jobsSchema: string;
  readonly catalog: {
    /** Absent: the catalog is the service's own PostgreSQL tables; set: the shop's own catalog over HTTP. */
    readonly url: string | undefined;
    /** Bearer token sent to the shop's catalog. */
    readonly token: string | undefined;
    readonly timeoutMs: number;
    /** How long an answer of the shop's catalog is reused (0: never). */
    readonly cacheMs: number;
  };
  /** Largest quantity of a cart line when the product sets no `maxQuantity` of its own. */
  readonly maxLineQuantity: number;
  /** A cart with physical lines needs a shipping method to be placed (409 SHIPPING_REQUIRED). */
  readonly shippingRequired: boolean;
  /** Fastify's `trustProxy`: false (default), true, a hop count, or addresses/CIDRs of trusted proxies. */
  readonly trustProxy: boolean | number | string;
  /** Requests per client IP (per cart for sessions) per window, in-process per instance; 0 turns a limit off. */
  readonly rateLimit: {
    readonly windowMs: number;
    readonly max: number;
    readonly webhookMax: number;
    readonly sessionMax: number;
    readonly sessionWindowMs: number;
  };
  /** Port of the operations listener (/metrics, /docs, detailed readiness); undefined: none. */
  readonly opsPort: number | undefined;
  readonly shutdown: {
    /** Everything (drain, jobs, database) must be done within this after SIGTERM/SIGINT. */
    readonly timeoutMs: number;
    /** Readiness answers 503 for this long before the listener stops accepting (load balancers notice first). */
    readonly delayMs: number;
  };
  readonly retention: {
    readonly cartDays: number;
    readonly personalDataDays: number;
    /** pg-boss cron expression (UTC) of the retention job; undefined (RETENTION_CRON=off): not scheduled here. */
    readonly cron: string | undefined;
  };
  /** Order events to the merchant's systems (src/events). */
  readonly merchantWebhook: {
    /** Absent: events are still written (GET /events lists them), nothing is delivered. */
    readonly url: string | undefined;
    /** Standard Webhooks secret, `whsec_` + base64. */
    readonly secret: string | undefined;
    /** Adds the cart's shipping address to each event (what a warehouse needs); off by default. */
    readonly includeCustomer: boolean;
    /** An event still undelivered this long after it was written (or replayed) becomes `dead`. */
    readonly retryHours: number;
    readonly timeoutMs: number;
    /** The first retry's delay; each next one doubles (with jitter) up to 4 hours. */
    readonly retryBaseMs: number;
    /** How often due events are looked for and handed to the delivery job. */
    readonly pollMs: number;
  };
  /** The demo storefront page at `/` (DEMO_STOREFRONT; default: on outside production). */
  readonly demoStorefront: {
    readonly enabled: boolean;
    /**
     * Where the page loads Klarna's JS SDK from: Klarna's CDN for a real Klarna, the simulator's stand-in SDK
     * (same API) when Klarna is simulated. KLARNA_SDK_URL overrides both.
     */
    readonly klarnaSdkUrl: string | undefined;
  };
  /** Human-readable log lines (pino-pretty) instead of JSON: development, and only when stdout is a terminal. */
  readonly prettyLogs: boolean;
  readonly generatedSettings: readonly string[];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const KLARNA_PLAYGROUND_EU = 'https://api.playground.klarna.com';
/** CyberSource's test transaction processor (production: https://ics2ws.ic3.com/commerce/1.x/transactionProcessor). */
const CYBERSOURCE_TEST_ENDPOINT = 'https://ics2wstest.ic3.com/commerce/1.x/transactionProcessor';

class EnvironmentVariables {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;
  @IsOptional() @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional() @IsString() HOST?: string;
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/[^\s/]+\/[^\s/?]+/, {
    message: 'DATABASE_URL must look like postgresql://user@host:port/database',
  })
  DATABASE_URL?: string;
  @IsOptional() @IsInt() @Min(1) @Max(100) DATABASE_POOL_SIZE?: number;
  @IsOptional() @IsInt() @Min(100) @Max(60_000) DATABASE_ACQUIRE_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(60_000) DATABASE_LOCK_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(1000) @Max(600_000) DATABASE_STATEMENT_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(0) @Max(1000) CART_QUEUE_DEPTH?: number;
  @IsOptional() @IsIn(['true', 'false']) MIGRATE_ON_START?: string;
  @IsOptional() @IsString() DATA_DIR?: string;
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true }) PUBLIC_BASE_URL?: string;
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true }) KLARNA_API_URL?: string;
  @IsOptional() @IsString() @MinLength(1) KLARNA_USERNAME?: string;
  @IsOptional() @IsString() @MinLength(1) KLARNA_PASSWORD?: string;
  @IsOptional() @IsInt() @Min(100) @Max(120_000) KLARNA_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(50) @Max(120_000) KLARNA_SLOW_CALL_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(100) KLARNA_CIRCUIT_FAILURE_PERCENT?: number;
  @IsOptional() @IsInt() @Min(1000) @Max(600_000) KLARNA_CIRCUIT_WINDOW_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1_000_000) KLARNA_CIRCUIT_MIN_CALLS?: number;
  @IsOptional() @IsInt() @Min(100) @Max(600_000) KLARNA_CIRCUIT_COOLDOWN_MS?: number;
  @IsOptional() @IsInt() @Min(1000) @Max(3_600_000) KLARNA_RETRY_MAX_DELAY_MS?: number;
  @IsOptional() @IsIn(['none', 'digital', 'all']) KLARNA_AUTO_CAPTURE?: string;
  @IsOptional()
  @Matches(/^(off|\S+( \S+){4})$/, { message: 'RECONCILE_CRON must be a 5-field cron expression or off' })
  RECONCILE_CRON?: string;
  @IsOptional() @IsInt() @Min(1) @Max(180) RECONCILE_DAYS?: number;
  @IsOptional() @IsIn(['klarna', 'cybersource']) PAYMENT_GATEWAY?: string;
  @IsOptional()
  @Matches(/^[A-Za-z0-9_]{1,30}$/, { message: 'CYBERSOURCE_MERCHANT_ID must be letters, digits or _ (at most 30)' })
  CYBERSOURCE_MERCHANT_ID?: string;
  @IsOptional() @IsUrl({ require_tld: false, require_protocol: true }) CYBERSOURCE_ENDPOINT?: string;
  @IsOptional() @IsString() @MinLength(1) CYBERSOURCE_P12_PATH?: string;
  @IsOptional() @IsString() @MinLength(1) CYBERSOURCE_P12_PASSWORD?: string;
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'WEBHOOK_SECRET must be at least 32 characters' })
  WEBHOOK_SECRET?: string;
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'OPS_API_KEY must be at least 16 characters' })
  OPS_API_KEY?: string;
  @IsOptional() @IsIn(LOG_LEVELS) LOG_LEVEL?: string;
  @IsOptional() @IsInt() @Min(0) @Max(3_600_000) AUTHORIZATION_CALLBACK_GRACE_MS?: number;
  @IsOptional() @IsInt() @Min(1000) @Max(86_400_000) PLACEMENT_ATTENTION_AFTER_MS?: number;
  @IsOptional() @IsInt() @Min(1024) @Max(10_485_760) BODY_LIMIT_BYTES?: number;
  @IsOptional()
  @Matches(/^[a-z_][a-z0-9_]{0,62}$/, { message: 'JOBS_SCHEMA must be a lower-case PostgreSQL identifier' })
  JOBS_SCHEMA?: string;
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  CATALOG_URL?: string;
  @IsOptional() @IsString() @MinLength(1) CATALOG_TOKEN?: string;
  @IsOptional() @IsInt() @Min(50) @Max(60_000) CATALOG_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(0) @Max(3_600_000) CATALOG_CACHE_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(1000) MAX_LINE_QUANTITY?: number;
  @IsOptional() @IsIn(['true', 'false']) SHIPPING_REQUIRED?: string;
  @IsOptional()
  @Matches(/^(true|false|\d{1,2}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/, {
    message: 'TRUST_PROXY must be true, false, a hop count, or comma-separated proxy addresses/CIDRs',
  })
  TRUST_PROXY?: string;
  @IsOptional() @IsInt() @Min(1000) @Max(3_600_000) RATE_LIMIT_WINDOW_MS?: number;
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000) RATE_LIMIT_MAX?: number;
  @IsOptional() @IsInt() @Min(0) @Max(1_000_000) RATE_LIMIT_WEBHOOK_MAX?: number;
  @IsOptional() @IsInt() @Min(0) @Max(10_000) RATE_LIMIT_SESSION_MAX?: number;
  @IsOptional() @IsInt() @Min(1000) @Max(86_400_000) RATE_LIMIT_SESSION_WINDOW_MS?: number;
  @IsOptional() @IsInt() @Min(0) @Max(65535) OPS_PORT?: number;
  @IsOptional() @IsInt() @Min(1000) @Max(600_000) SHUTDOWN_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(0) @Max(300_000) SHUTDOWN_DELAY_MS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(3650) CART_RETENTION_DAYS?: number;
  @IsOptional() @IsInt() @Min(1) @Max(3650) PERSONAL_DATA_RETENTION_DAYS?: number;
  @IsOptional()
  @Matches(/^(off|\S+( \S+){4})$/, { message: 'RETENTION_CRON must be a 5-field cron expression or off' })
  RETENTION_CRON?: string;
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  MERCHANT_WEBHOOK_URL?: string;
  @IsOptional()
  @Matches(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/, {
    message: 'MERCHANT_WEBHOOK_SECRET must be whsec_ followed by at least 24 bytes in base64',
  })
  MERCHANT_WEBHOOK_SECRET?: string;
  @IsOptional() @IsIn(['true', 'false']) MERCHANT_WEBHOOK_INCLUDE_CUSTOMER?: string;
  @IsOptional()
  @Matches(/^(?!0+(\.0+)?$)\d{1,3}(\.\d{1,6})?$/, {
    message: 'MERCHANT_WEBHOOK_RETRY_HOURS must be a positive number of hours (at most 999)',
  })
  MERCHANT_WEBHOOK_RETRY_HOURS?: string;
  @IsOptional() @IsInt() @Min(100) @Max(60_000) MERCHANT_WEBHOOK_TIMEOUT_MS?: number;
  @IsOptional() @IsInt() @Min(10) @Max(3_600_000) MERCHANT_WEBHOOK_RETRY_BASE_MS?: number;
  @IsOptional() @IsInt() @Min(50) @Max(60_000) MERCHANT_WEBHOOK_POLL_MS?: number;
  @IsOptional() @IsIn(['true', 'false']) DEMO_STOREFRONT?: string;
  @IsOptional()
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] })
  KLARNA_SDK_URL?: string;
  @IsOptional() @IsIn(['true', 'false']) LOG_PRETTY?: string;
}

const NUMERIC_VARIABLES = [
  'PORT',
  'DATABASE_POOL_SIZE',
  'KLARNA_TIMEOUT_MS',
  'KLARNA_SLOW_CALL_MS',
  'KLARNA_CIRCUIT_FAILURE_PERCENT',
  'KLARNA_CIRCUIT_WINDOW_MS',
  'KLARNA_CIRCUIT_MIN_CALLS',
  'DATABASE_ACQUIRE_TIMEOUT_MS',
  'DATABASE_LOCK_TIMEOUT_MS',
  'DATABASE_STATEMENT_TIMEOUT_MS',
  'CART_QUEUE_DEPTH',
  'KLARNA_CIRCUIT_COOLDOWN_MS',
  'KLARNA_RETRY_MAX_DELAY_MS',
  'AUTHORIZATION_CALLBACK_GRACE_MS',
  'PLACEMENT_ATTENTION_AFTER_MS',
  'BODY_LIMIT_BYTES',
  'CATALOG_TIMEOUT_MS',
  'CATALOG_CACHE_MS',
  'MAX_LINE_QUANTITY',
  'RATE_LIMIT_WINDOW_MS',
  'RATE_LIMIT_MAX',
  'RATE_LIMIT_WEBHOOK_MAX',
  'RATE_LIMIT_SESSION_MAX',
  'RATE_LIMIT_SESSION_WINDOW_MS',
  'OPS_PORT',
  'SHUTDOWN_TIMEOUT_MS',
  'SHUTDOWN_DELAY_MS',
  'CART_RETENTION_DAYS',
  'PERSONAL_DATA_RETENTION_DAYS',
  'RECONCILE_DAYS',
  'MERCHANT_WEBHOOK_TIMEOUT_MS',
  'MERCHANT_WEBHOOK_RETRY_BASE_MS',
  'MERCHANT_WEBHOOK_POLL_MS',
] as const;

/** Production serves /metrics and /docs on this port, not on the public one, unless OPS_PORT says otherwise. */
const PRODUCTION_OPS_PORT = 9090;

export class ConfigurationError extends Error {}

/**
 * Reads and validates the environment. Throws a ConfigurationError whose message is one line naming
 * the first bad variable, which main.ts prints before exiting.
 */
export function loadConfig(env: NodeJS.ProcessEnv): AppConfig {
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(new EnvironmentVariables()).concat(Object.keys(env))) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  for (const key of NUMERIC_VARIABLES) {
    if (typeof raw[key] === 'string') {
      const text = raw[key] as string;
      raw[key] = /^-?\d+$/.test(text) ? Number(text) : text;
    }
  }
  const variables = plainToInstance(EnvironmentVariables, raw);
  const errors = validateSync(variables, { skipMissingProperties: false });
  if (errors.length > 0) {
    const first = errors[0];
    const constraints = first.constraints ?? {};
    // Name the most basic failure first: "must be an integer" says more about PORT=abc than a range does.
    const reason = constraints.isInt ?? constraints.isIn ?? Object.values(constraints)[0] ?? 'is invalid';
    const shown =
      first.property.includes('PASSWORD') ||
      first.property.includes('SECRET') ||
      first.property.includes('KEY') ||
      first.property.includes('TOKEN')
        ? '(hidden)'
        : JSON.stringify(first.value);
    throw new ConfigurationError(`Invalid configuration: ${first.property}=${shown}: ${reason}`);
  }

  const nodeEnv = (variables.NODE_ENV ?? 'development') as AppConfig['nodeEnv'];
  const paymentGateway = (variables.PAYMENT_GATEWAY ?? 'klarna') as AppConfig['paymentGateway'];
  const generatedSettings: string[] = [];
  if (nodeEnv === 'production') {
    const gatewayCredentials =
      paymentGateway === 'cybersource'
        ? ([
            'CYBERSOURCE_MERCHANT_ID',
            'CYBERSOURCE_ENDPOINT',
            'CYBERSOURCE_P12_PATH',
            'CYBERSOURCE_P12_PASSWORD',
          ] as const)
        : (['KLARNA_USERNAME', 'KLARNA_PASSWORD'] as const);
    for (const key of [
      'DATABASE_URL',
      'WEBHOOK_SECRET',
      'OPS_API_KEY',
      'PUBLIC_BASE_URL',
      ...gatewayCredentials,
    ] as const) {
      if (variables[key] === undefined)
        throw new ConfigurationError(`Invalid configuration: ${key} is required when NODE_ENV=production`);
    }
  }
  if (variables.KLARNA_USERNAME !== undefined && variables.KLARNA_PASSWORD === undefined) {
    throw new ConfigurationError('Invalid configuration: KLARNA_PASSWORD is required when KLARNA_USERNAME is set');
  }
  if (variables.CYBERSOURCE_MERCHANT_ID !== undefined) {
    for (const key of ['CYBERSOURCE_P12_PATH', 'CYBERSOURCE_P12_PASSWORD'] as const) {
      if (variables[key] === undefined) {
        throw new ConfigurationError(`Invalid configuration: ${key} is required when CYBERSOURCE_MERCHANT_ID is set`);
      }
    }
    if (paymentGateway === 'cybersource' && !existsSync(variables.CYBERSOURCE_P12_PATH!)) {
      throw new ConfigurationError(
        `Invalid configuration: CYBERSOURCE_P12_PATH=${JSON.stringify(variables.CYBERSOURCE_P12_PATH)}: no such file`,
      );
    }
  }
  let webhookSecret = variables.WEBHOOK_SECRET;
  if (webhookSecret === undefined) {
    // Outside production the service replaces this with the one kept in the database at start (createApp), so that
    // restarts and sibling instances agree; this random one is only the fallback for a database without it.
    webhookSecret = randomBytes(32).toString('hex');
    generatedSettings.push('WEBHOOK_SECRET');
  }
  // A statement that waits for Klarna's answer never runs (the push happens between statements), but a
  // statement timeout below the lock timeout would turn every lock wait into a statement timeout.
  if ((variables.DATABASE_STATEMENT_TIMEOUT_MS ?? 15_000) <= (variables.DATABASE_LOCK_TIMEOUT_MS ?? 2000)) {
    throw new ConfigurationError(
      'Invalid configuration: DATABASE_STATEMENT_TIMEOUT_MS must be longer than DATABASE_LOCK_TIMEOUT_MS',
    );
  }
  if ((variables.SHUTDOWN_DELAY_MS ?? 0) >= (variables.SHUTDOWN_TIMEOUT_MS ?? 25_000)) {
    throw new ConfigurationError('Invalid configuration: SHUTDOWN_DELAY_MS must be shorter than SHUTDOWN_TIMEOUT_MS');
  }
  if (variables.MERCHANT_WEBHOOK_URL !== undefined && variables.MERCHANT_WEBHOOK_SECRET === undefined) {
    throw new ConfigurationError(
      'Invalid configuration: MERCHANT_WEBHOOK_SECRET is required when MERCHANT_WEBHOOK_URL is set',
    );
  }
  const port = variables.PORT ?? 3000;
  return {
    nodeEnv,
    port,
    host: variables.HOST ?? '0.0.0.0',
    databaseUrl: variables.DATABASE_URL,
    databasePoolSize: variables.DATABASE_POOL_SIZE ?? 10,
    databaseAcquireTimeoutMs: variables.DATABASE_ACQUIRE_TIMEOUT_MS ?? 2000,
    databaseLockTimeoutMs: variables.DATABASE_LOCK_TIMEOUT_MS ?? 2000,
    databaseStatementTimeoutMs: variables.DATABASE_STATEMENT_TIMEOUT_MS ?? 15_000,
    cartQueueDepth: variables.CART_QUEUE_DEPTH ?? 8,
    migrateOnStart: variables.MIGRATE_ON_START !== 'false',
    dataDir: variables.DATA_DIR ?? '.data',
    publicBaseUrl: (variables.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, ''),
    klarna: {
      apiUrl: (variables.KLARNA_API_URL ?? KLARNA_PLAYGROUND_EU).replace(/\/+$/, ''),
      username: variables.KLARNA_USERNAME,
      password: variables.KLARNA_PASSWORD,
      timeoutMs: variables.KLARNA_TIMEOUT_MS ?? 5000,
      slowCallMs: variables.KLARNA_SLOW_CALL_MS ?? 2000,
      circuitFailurePercent: variables.KLARNA_CIRCUIT_FAILURE_PERCENT ?? 50,
      circuitWindowMs: variables.KLARNA_CIRCUIT_WINDOW_MS ?? 30_000,
      circuitMinCalls: variables.KLARNA_CIRCUIT_MIN_CALLS ?? 10,
      circuitCoolDownMs: variables.KLARNA_CIRCUIT_COOLDOWN_MS ?? 10_000,
      retryMaxDelayMs: variables.KLARNA_RETRY_MAX_DELAY_MS ?? 60_000,
      autoCapture: (variables.KLARNA_AUTO_CAPTURE ?? 'none') as AppConfig['klarna']['autoCapture'],
    },
    reconcile: {
      cron: variables.RECONCILE_CRON === 'off' ? undefined : (variables.RECONCILE_CRON ?? '17 * * * *'),
      days: variables.RECONCILE_DAYS ?? 7,
    },
    paymentGateway,
    cybersource: {
      merchantId: variables.CYBERSOURCE_MERCHANT_ID,
      endpoint: variables.CYBERSOURCE_ENDPOINT ?? CYBERSOURCE_TEST_ENDPOINT,
      p12Path: variables.CYBERSOURCE_P12_PATH,
      p12Password: variables.CYBERSOURCE_P12_PASSWORD,
    },
    webhookSecret,
    opsApiKey: variables.OPS_API_KEY,
    logLevel: variables.LOG_LEVEL ?? 'info',
    authorizationCallbackGraceMs: variables.AUTHORIZATION_CALLBACK_GRACE_MS ?? 30_000,
    placementAttentionAfterMs: variables.PLACEMENT_ATTENTION_AFTER_MS ?? 15 * 60_000,
    bodyLimitBytes: variables.BODY_LIMIT_BYTES ?? 262_144,
    jobsSchema: variables.JOBS_SCHEMA ?? 'pgboss',
    catalog: {
      url: variables.CATALOG_URL?.replace(/\/+$/, ''),
      token: variables.CATALOG_TOKEN,
      timeoutMs: variables.CATALOG_TIMEOUT_MS ?? 2000,
      cacheMs: variables.CATALOG_CACHE_MS ?? 30_000,
    },
    maxLineQuantity: variables.MAX_LINE_QUANTITY ?? 99,
    shippingRequired: variables.SHIPPING_REQUIRED !== 'false',
    trustProxy: parseTrustProxy(variables.TRUST_PROXY),
    rateLimit: {
      windowMs: variables.RATE_LIMIT_WINDOW_MS ?? 60_000,
      max: variables.RATE_LIMIT_MAX ?? 300,
      webhookMax: variables.RATE_LIMIT_WEBHOOK_MAX ?? 3000,
      sessionMax: variables.RATE_LIMIT_SESSION_MAX ?? 10,
      sessionWindowMs: variables.RATE_LIMIT_SESSION_WINDOW_MS ?? 600_000,
    },
    opsPort: variables.OPS_PORT ?? (nodeEnv === 'production' ? PRODUCTION_OPS_PORT : undefined),
    shutdown: {
      timeoutMs: variables.SHUTDOWN_TIMEOUT_MS ?? 25_000,
      delayMs: variables.SHUTDOWN_DELAY_MS ?? 0,
    },
    retention: {
      cartDays: variables.CART_RETENTION_DAYS ?? 30,
      personalDataDays: variables.PERSONAL_DATA_RETENTION_DAYS ?? 90,
      cron: variables.RETENTION_CRON === 'off' ? undefined : (variables.RETENTION_CRON ?? '30 3 * * *'),
    },
    merchantWebhook: {
      url: variables.MERCHANT_WEBHOOK_URL,
      secret: variables.MERCHANT_WEBHOOK_SECRET,
      includeCustomer: variables.MERCHANT_WEBHOOK_INCLUDE_CUSTOMER === 'true',
      retryHours: Number(variables.MERCHANT_WEBHOOK_RETRY_HOURS ?? 72),
      timeoutMs: variables.MERCHANT_WEBHOOK_TIMEOUT_MS ?? 10_000,
      retryBaseMs: variables.MERCHANT_WEBHOOK_RETRY_BASE_MS ?? 5000,
      pollMs: variables.MERCHANT_WEBHOOK_POLL_MS ?? 1000,
    },
    demoStorefront: {
      enabled:
        variables.DEMO_STOREFRONT === undefined ? nodeEnv !== 'production' : variables.DEMO_STOREFRONT === 'true',
      klarnaSdkUrl: variables.KLARNA_SDK_URL,
    },
    prettyLogs:
      variables.LOG_PRETTY === undefined
        ? nodeEnv === 'development' && process.stdout.isTTY === true
        : variables.LOG_PRETTY === 'true',
    generatedSettings,
  };
}

function parseTrustProxy(value: string | undefined): boolean | number | string {
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value.replace(/\s+/g, '');
}

/** Loads `.env` from the working directory when present; real environment variables win. */
export function loadEnvFile(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}

/** The process environment, read only here (house rule: no process.env outside src/config). */
export function processEnvironment(): NodeJS.ProcessEnv {
  return process.env;
}
