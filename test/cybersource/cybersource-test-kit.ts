/** Helpers for the CyberSource suites: the simulator with a throw-away P12, the gateway pointed at it, sample carts. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { CyberSourceGateway } from '../../src/cybersource/cybersource.gateway.js';
import {
  startCyberSourceSimulator,
  type CyberSourceSimulator,
  type RecordedCyberSourceCall,
} from '../../src/cybersource-simulator/cybersource-simulator.js';
import { generateThrowawayP12, type ThrowawayP12 } from '../../src/cybersource-simulator/throwaway-p12.js';
import type { KlarnaOrderLine, KlarnaSessionRequest } from '../../src/klarna/klarna.types.js';
import { MetricsService } from '../../src/metrics/metrics.service.js';
import { Logger } from '@nestjs/common';

// The gateway's debug lines are for operators; the suites assert on errors instead.
Logger.overrideLogger(false);

export const MERCHANT_ID = 'test_shop';

/** The CyberSource side of a test: the simulator, a throw-away P12 for it, and the settings that point the service at it. */
export interface CyberSourceSide {
  simulator: CyberSourceSimulator;
  p12: ThrowawayP12;
  /** PAYMENT_GATEWAY=cybersource and the CYBERSOURCE_* settings for this simulator. */
  environment: Record<string, string>;
  /** A /_sim control call. */
  control<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  calls(operation?: string): Promise<RecordedCyberSourceCall[]>;
  /** The shopper's authorize() in the widget: the token for the session's current content. */
  authorize(sessionId: string, outcome?: 'approved' | 'pending' | 'declined'): Promise<string>;
  close(): Promise<void>;
}

export async function startCyberSourceSide(): Promise<CyberSourceSide> {
  const p12 = generateThrowawayP12(MERCHANT_ID);
  const directory = mkdtempSync(join(tmpdir(), 'cybersource-test-'));
  const p12Path = join(directory, 'merchant.p12');
  writeFileSync(p12Path, p12.p12);
  const simulator = await startCyberSourceSimulator({ merchantId: MERCHANT_ID, certificatePem: p12.certificatePem });
  const control = async <T>(method: string, path: string, body?: unknown) => {
    const response = await fetch(`${simulator.url}/_sim${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  return {
    simulator,
    p12,
    environment: {
      PAYMENT_GATEWAY: 'cybersource',
      CYBERSOURCE_MERCHANT_ID: MERCHANT_ID,
      CYBERSOURCE_ENDPOINT: simulator.endpoint,
      CYBERSOURCE_P12_PATH: p12Path,
      CYBERSOURCE_P12_PASSWORD: p12.password,
    },
    control,
    async calls(operation) {
      const query = operation ? `?operation=${operation}` : '';
      return (await control<{ calls: RecordedCyberSourceCall[] }>('GET', `/calls${query}`)).body.calls;
    },
    async authorize(sessionId, outcome = 'approved') {
      const answer = await control<{ authorization_token: string }>('POST', `/sessions/${sessionId}/authorize`, {
        outcome,
      });
      if (answer.status !== 200) throw new Error(`authorize answered ${answer.status}`);
      return answer.body.authorization_token;
    },
    async close() {
      await simulator.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export interface CyberSourceKit extends CyberSourceSide {
  gateway: CyberSourceGateway;
  config: AppConfig;
}

/** The simulator and a CyberSourceGateway pointed at it, without the rest of the service. */
export async function startCyberSourceKit(environment: Record<string, string> = {}): Promise<CyberSourceKit> {
  const side = await startCyberSourceSide();
  const config = loadConfig({
    NODE_ENV: 'test',
    PUBLIC_BASE_URL: 'https://shop.example.com',
    KLARNA_TIMEOUT_MS: '1000',
    ...side.environment,
    ...environment,
  });
  return { ...side, config, gateway: new CyberSourceGateway(config, new MetricsService()) };
}

/** Germany, 19 % VAT: 2 mugs at 59.50 and shipping 4.90 = 123.90. */
export const mugs = (): KlarnaOrderLine => ({
  type: 'physical',
  reference: 'MUG-1',
  name: 'Mug',
  quantity: 2,
  unitPrice: 5950,
  taxRate: 1900,
  totalAmount: 11900,
  totalDiscountAmount: 0,
  totalTaxAmount: 1900,
});

export const shipping = (): KlarnaOrderLine => ({
  type: 'shipping_fee',
  reference: 'SHIPPING',
  name: 'Shipping',
  quantity: 1,
  unitPrice: 490,
  taxRate: 1900,
  totalAmount: 490,
  totalDiscountAmount: 0,
  totalTaxAmount: 78,
});

/** A 10.00 coupon (Klarna: a negative discount line). */
export const coupon = (): KlarnaOrderLine => ({
  type: 'discount',
  reference: 'WELCOME10',
  name: 'Welcome coupon',
  quantity: 1,
  unitPrice: -1000,
  taxRate: 1900,
  totalAmount: -1000,
  totalDiscountAmount: 0,
  totalTaxAmount: -160,
});

export function germanCart(overrides: Partial<KlarnaSessionRequest> = {}): KlarnaSessionRequest {
  return {
    purchaseCountry: 'DE',
    purchaseCurrency: 'EUR',
    locale: 'de-DE',
    orderAmount: 12390,
    orderTaxAmount: 1978,
    orderLines: [mugs(), shipping()],
    ...overrides,
  };
}

/** The same cart with the shopper's addresses and a coupon: 113.90. */
export function germanCartWithShopper(overrides: Partial<KlarnaSessionRequest> = {}): KlarnaSessionRequest {
  const address = {
    givenName: 'Anna',
    familyName: 'Schmidt',
    email: 'anna@example.com',
    phone: '+49 30 1234567',
    streetAddress: 'Leopoldstraße 4',
    postalCode: '10318',
    city: 'Berlin',
    country: 'DE',
  };
  return germanCart({
    orderAmount: 11390,
    orderTaxAmount: 1818,
    orderLines: [mugs(), shipping(), coupon()],
    billingAddress: address,
    shippingAddress: { ...address, streetAddress: 'Hauptstraße 1' },
    ...overrides,
  });
}

/** New York: net prices, one sales tax line. 2 × 20.00 + shipping 5.00 + tax 3.60 = 48.60. */
export function usCart(): KlarnaSessionRequest {
  const line = (type: string, name: string, quantity: number, unitPrice: number): KlarnaOrderLine => ({
    type,
    reference: name.toUpperCase(),
    name,
    quantity,
    unitPrice,
    taxRate: 0,
    totalAmount: quantity * unitPrice,
    totalDiscountAmount: 0,
    totalTaxAmount: 0,
  });
  return {
    purchaseCountry: 'US',
    purchaseCurrency: 'USD',
    locale: 'en-US',
    orderAmount: 4860,
    orderTaxAmount: 360,
    orderLines: [
      line('physical', 'Cap', 2, 2000),
      line('shipping_fee', 'Shipping', 1, 500),
      line('sales_tax', 'Sales tax', 1, 360),
    ],
  };
}
