import { createHash } from 'node:crypto';
import type { KlarnaOrderData } from '../klarna/klarna.types.js';

/** What the klarna-session module needs of a cart: its identity, version and Klarna order content. */
export interface SessionCart {
  id: string;
  version: number;
  purchaseCountry: string;
  purchaseCurrency: string;
  locale: string;
  orderData: KlarnaOrderData;
}

/** Fingerprint of what Klarna would receive: equal fingerprints mean nothing to send. */
export function payloadHash(orderData: KlarnaOrderData): string {
  return createHash('sha256').update(JSON.stringify(orderData)).digest('hex');
}
