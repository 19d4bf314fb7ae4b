import { describe, expect, it } from '@jest/globals';
import {
  afterFailure,
  answerExcerpt,
  eventBody,
  isDelivered,
  MAX_RETRY_DELAY_MS,
  retryDelayMs,
  type StoredEvent,
} from './event-delivery-rules.js';

const line = {
  type: 'physical',
  reference: 'SKU-1',
  name: 'Lamp',
  quantity: 2,
  unitPrice: 5000,
  taxRate: 2500,
  totalAmount: 10000,
  totalDiscountAmount: 0,
  totalTaxAmount: 2000,
  imageUrl: 'https://shop.example.com/lamp.png',
};

function anEvent(overrides: Partial<StoredEvent> = {}): StoredEvent {
  return {
    type: 'order.placed',
    createdAt: new Date('2026-12-01T10:00:00.000Z'),
    state: {
      orderId: 'o-1',
      cartId: 'c-1',
      klarnaOrderId: 'k-1',
      status: 'placed',
      fraudStatus: 'ACCEPTED',
      klarnaStatus: null,
      merchantReference1: 'o-1',
      merchantReference2: null,
      purchaseCountry: 'SE',
      currency: 'SEK',
      orderAmount: 10000,
      orderTaxAmount: 2000,
      capturedAmount: 0,
      refundedAmount: 0,
      remainingAuthorizedAmount: null,
      expiresAt: '2026-12-29T10:00:00+00:00',
      attentionReason: null,
      orderLines: [line],
    },
    previous: { status: 'placing', orderAmount: 10000, capturedAmount: 0, refundedAmount: 0 },
    ...overrides,
  };
}

describe('eventBody', () => {
  it('has Standard Webhooks shape with the amounts, the lines of a placed order and no personal data', () => {
    const body = eventBody(anEvent());
    expect(body).toEqual({
      type: 'order.placed',
      timestamp: '2026-12-01T10:00:00.000Z',
      data: expect.objectContaining({
        orderId: 'o-1',
        klarnaOrderId: 'k-1',
        status: 'placed',
        previousStatus: 'placing',
        fraudStatus: 'ACCEPTED',
        currency: 'SEK',
        amounts: {
          orderAmount: 10000,
          orderTaxAmount: 2000,
          capturedAmount: 0,
          refundedAmount: 0,
          remainingAuthorizedAmount: null,
        },
        expiresAt: '2026-12-29T10:00:00.000Z',
      }),
    });
    expect(body.data.lines).toEqual([
      {
        reference: 'SKU-1',
        name: 'Lamp',
        type: 'physical',
        quantity: 2,
        unitPrice: 5000,
        taxRate: 2500,
        totalAmount: 10000,
        totalTaxAmount: 2000,
        totalDiscountAmount: 0,
      },
    ]);
    expect(body.data).not.toHaveProperty('shippingAddress');
    expect(body.data).not.toHaveProperty('cartId');
  });

  it('names what a capture and a refund added, without lines', () => {
    const captured = anEvent({
      type: 'order.captured',
      state: { ...anEvent().state, capturedAmount: 7000 },
      previous: { status: 'placed', capturedAmount: 3000, refundedAmount: 0 },
    });
    expect(eventBody(captured).data).toMatchObject({ capture: { amount: 4000 } });
    expect(eventBody(captured).data).not.toHaveProperty('lines');
    expect(eventBody(captured).data).not.toHaveProperty('previousStatus');
    const refunded = anEvent({
      type: 'order.refunded',
      state: { ...anEvent().state, capturedAmount: 7000, refundedAmount: 2500 },
      previous: { capturedAmount: 7000, refundedAmount: 500 },
    });
    expect(eventBody(refunded).data).toMatchObject({ refund: { amount: 2000 } });
  });

  it('carries the previous amount of an amendment and the reason of needs_attention', () => {
    expect(eventBody(anEvent({ type: 'order.amended', previous: { orderAmount: 12000 } })).data).toMatchObject({
      previousOrderAmount: 12000,
      lines: [expect.objectContaining({ reference: 'SKU-1' })],
    });
    const attention = anEvent({
      type: 'order.needs_attention',
      state: { ...anEvent().state, status: 'needs_attention', attentionReason: 'Klarna did not answer' },
    });
    expect(eventBody(attention).data).toMatchObject({ attentionReason: 'Klarna did not answer' });
  });

  it('adds the shipping address only when given one (MERCHANT_WEBHOOK_INCLUDE_CUSTOMER)', () => {
    const address = { givenName: 'Testperson', city: 'Stockholm', country: 'SE' };
    expect(eventBody(anEvent(), address).data.shippingAddress).toEqual(address);
    expect(eventBody(anEvent(), null).data.shippingAddress).toBeNull();
  });
});

describe('delivery rules', () => {
  it('takes any 2xx as delivered, and nothing else', () => {
    expect([200, 201, 204, 299].every(isDelivered)).toBe(true);
    expect([100, 301, 304, 400, 409, 410, 429, 500, 503].some(isDelivered)).toBe(false);
  });

  it('doubles the wait from the base, within ±25 % jitter, up to 4 hours', () => {
    expect(retryDelayMs(1, 5000, 0.5)).toBe(5000);
    expect(retryDelayMs(2, 5000, 0.5)).toBe(10000);
    expect(retryDelayMs(5, 5000, 0.5)).toBe(80000);
    expect(retryDelayMs(3, 5000, 0)).toBe(15000);
    expect(retryDelayMs(3, 5000, 0.999999)).toBe(25000);
    expect(retryDelayMs(40, 5000, 0.5)).toBe(MAX_RETRY_DELAY_MS);
    expect(retryDelayMs(1000, 5000, 0.5)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('retries within the window and declares the event dead once the next try would fall past it', () => {
    const settings = { retryHours: 72, retryBaseMs: 5000 };
    const created = new Date('2026-12-01T00:00:00Z');
    const early = afterFailure(1, created, new Date('2026-12-01T00:00:01Z'), settings, 0.5);
    expect(early).toEqual({ kind: 'retry', at: new Date('2026-12-01T00:00:06Z') });
    expect(afterFailure(30, created, new Date('2026-12-03T23:00:00Z'), settings, 0.5)).toEqual({ kind: 'dead' });
    // A replay starts a new window.
    const replayed = new Date('2026-12-03T23:00:00Z');
    expect(afterFailure(30, replayed, new Date('2026-12-03T23:00:00Z'), settings, 0.5).kind).toBe('retry');
  });

  it('spends about 3 days on some 30 attempts with the default schedule', () => {
    const settings = { retryHours: 72, retryBaseMs: 5000 };
    const created = new Date('2026-12-01T00:00:00Z');
    let now = created;
    let attempts = 1;
    for (;;) {
      const next = afterFailure(attempts, created, now, settings, 0.5);
      if (next.kind === 'dead') break;
      now = next.at;
      attempts++;
    }
    expect(attempts).toBeGreaterThan(20);
    expect(attempts).toBeLessThan(35);
    expect(now.getTime() - created.getTime()).toBeGreaterThan(68 * 3600_000);
  });

  it('keeps a short, single-line excerpt of the answer', () => {
    expect(answerExcerpt('  busy\n  try later ')).toBe('busy try later');
    expect(answerExcerpt('x'.repeat(2000))).toHaveLength(500);
  });
});
