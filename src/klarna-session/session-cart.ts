import { createHash } from 'node:crypto';
import type { KlarnaOrderData, KlarnaOrderLine, KlarnaSessionView } from '../klarna/klarna.types.js';

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

/** The order-line fields Klarna checks (KP-SPEC order_line); others (URLs, units) do not change what is charged. */
const CHARGED_LINE_FIELDS = [
  'type',
  'reference',
  'name',
  'quantity',
  'unitPrice',
  'taxRate',
  'totalAmount',
  'totalDiscountAmount',
  'totalTaxAmount',
] as const satisfies readonly (keyof KlarnaOrderLine)[];

/** Whether Klarna's session holds this cart's amounts and lines (a read-back after a push of unknown outcome). */
export function sameOrderContent(held: KlarnaSessionView, cart: KlarnaOrderData): boolean {
  if (held.orderAmount !== cart.orderAmount || (held.orderTaxAmount ?? 0) !== cart.orderTaxAmount) return false;
  if (held.orderLines.length !== cart.orderLines.length) return false;
  return cart.orderLines.every((line, index) =>
    CHARGED_LINE_FIELDS.every((field) => held.orderLines[index][field] === line[field]),
  );
}
