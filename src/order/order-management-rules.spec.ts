import { describe, expect, it } from '@jest/globals';
import {
  autoCaptureFor,
  captureBlocker,
  driftBetween,
  extendBlocker,
  isKlarnaStatusForward,
  klarnaStatusOf,
  refundBlocker,
  releaseBlocker,
  remainingAuthorized,
  type ManagedOrderState,
} from './order-management-rules.js';

const NOW = new Date('2026-12-01T12:00:00Z');
const DAY_MS = 86_400_000;

const anOrder = (overrides: Partial<ManagedOrderState> = {}): ManagedOrderState => ({
  status: 'confirmed',
  fraudStatus: 'ACCEPTED',
  klarnaStatus: 'authorized',
  orderAmount: 10_000,
  capturedAmount: 0,
  refundedAmount: 0,
  remainingAuthorizedAmount: 10_000,
  expiresAt: new Date(NOW.getTime() + 28 * DAY_MS),
  createdAt: NOW,
  ...overrides,
});

describe('Order Management rules', () => {
  it('reads Klarna’s statuses and moves them forward only, never out of a final one', () => {
    expect(klarnaStatusOf('PART_CAPTURED')).toBe('part_captured');
    expect(klarnaStatusOf('SHIPPED')).toBeUndefined();
    expect(isKlarnaStatusForward(null, 'authorized')).toBe(true);
    expect(isKlarnaStatusForward('authorized', 'part_captured')).toBe(true);
    expect(isKlarnaStatusForward('part_captured', 'closed')).toBe(true);
    expect(isKlarnaStatusForward('part_captured', 'authorized')).toBe(false);
    expect(isKlarnaStatusForward('part_captured', 'part_captured')).toBe(false);
    expect(isKlarnaStatusForward('captured', 'closed')).toBe(false);
    expect(isKlarnaStatusForward('expired', 'cancelled')).toBe(false);
  });

  it('captures at most what remains, on an open, accepted, unexpired order', () => {
    expect(captureBlocker(anOrder(), 10_000, NOW)).toBeUndefined();
    expect(captureBlocker(anOrder(), 10_001, NOW)).toContain('remaining authorized amount (10000)');
    expect(captureBlocker(anOrder({ capturedAmount: 4000, remainingAuthorizedAmount: 6000 }), 6001, NOW)).toContain(
      '(6000)',
    );
    expect(captureBlocker(anOrder({ fraudStatus: 'PENDING' }), 1, NOW)).toContain('PENDING');
    expect(captureBlocker(anOrder({ klarnaStatus: 'captured' }), 1, NOW)).toBe('the order is fully captured');
    expect(captureBlocker(anOrder({ klarnaStatus: 'closed' }), 1, NOW)).toBe('the order is closed');
    expect(captureBlocker(anOrder({ klarnaStatus: 'expired', status: 'cancelled' }), 1, NOW)).toBe(
      'the order is expired',
    );
    expect(captureBlocker(anOrder({ status: 'cancelled', klarnaStatus: 'cancelled' }), 1, NOW)).toBe(
      'the order is cancelled',
    );
    expect(captureBlocker(anOrder({ expiresAt: NOW }), 1, NOW)).toBe('the authorization has expired');
    expect(captureBlocker(anOrder({ status: 'placing' }), 1, NOW)).toBe('the order is still being placed');
  });

  it('takes the remaining amount from Klarna, or the uncaptured order amount before Klarna reported one', () => {
    expect(remainingAuthorized(anOrder({ remainingAuthorizedAmount: null, capturedAmount: 2500 }), NOW)).toBe(7500);
    expect(remainingAuthorized(anOrder({ klarnaStatus: 'closed', remainingAuthorizedAmount: 0 }), NOW)).toBe(0);
    expect(remainingAuthorized(anOrder({ status: 'cancelled' }), NOW)).toBe(0);
  });

  it('refunds at most what was captured and not refunded', () => {
    expect(refundBlocker(anOrder(), 1)).toBe('nothing was captured');
    expect(refundBlocker(anOrder({ capturedAmount: 5000, refundedAmount: 5000 }), 1)).toBe(
      'everything captured was refunded',
    );
    expect(refundBlocker(anOrder({ capturedAmount: 5000, refundedAmount: 1000 }), 4001)).toContain('(4000)');
    expect(refundBlocker(anOrder({ capturedAmount: 5000, refundedAmount: 1000 }), 4000)).toBeUndefined();
  });

  it('extends an open authorization up to 180 days after the order was created', () => {
    expect(extendBlocker(anOrder(), NOW)).toBeUndefined();
    expect(extendBlocker(anOrder({ expiresAt: new Date(NOW.getTime() + 180 * DAY_MS) }), NOW)).toContain('180 days');
    expect(extendBlocker(anOrder({ klarnaStatus: 'expired' }), NOW)).toBe('the order is expired');
    expect(extendBlocker(anOrder({ klarnaStatus: 'cancelled', status: 'cancelled' }), NOW)).toBe(
      'the order is cancelled',
    );
  });

  it('releases the rest only after a partial capture', () => {
    expect(releaseBlocker(anOrder(), NOW)).toContain('cancel the order instead');
    expect(releaseBlocker(anOrder({ capturedAmount: 4000, klarnaStatus: 'part_captured' }), NOW)).toBeUndefined();
    expect(releaseBlocker(anOrder({ capturedAmount: 10_000, klarnaStatus: 'captured' }), NOW)).toBe(
      'the order is fully captured',
    );
    expect(releaseBlocker(anOrder({ capturedAmount: 4000, klarnaStatus: 'closed' }), NOW)).toContain(
      'released already',
    );
  });

  // The guards for orders that are failed, cancelled, never placed, expired or fully captured (test/MUTANTS.md).
  it('takes nothing as remaining from an order that is not open, or whose authorization ended', () => {
    expect(remainingAuthorized(anOrder({ status: 'placed', fraudStatus: 'PENDING' }), NOW)).toBe(10_000);
    for (const status of ['placing', 'needs_attention', 'failed', 'cancelled'] as const) {
      expect(remainingAuthorized(anOrder({ status }), NOW)).toBe(0);
    }
    // Klarna's remaining amount is not trusted once its status says nothing can be captured.
    for (const klarnaStatus of ['captured', 'closed', 'cancelled', 'expired'] as const) {
      expect(remainingAuthorized(anOrder({ klarnaStatus, remainingAuthorizedAmount: 5000 }), NOW)).toBe(0);
    }
    expect(remainingAuthorized(anOrder({ klarnaStatus: null }), NOW)).toBe(10_000);
    expect(remainingAuthorized(anOrder({ expiresAt: NOW }), NOW)).toBe(0);
    expect(remainingAuthorized(anOrder({ expiresAt: new Date(NOW.getTime() + 1) }), NOW)).toBe(10_000);
    expect(remainingAuthorized(anOrder({ expiresAt: null }), NOW)).toBe(10_000);
    // Klarna's word wins over our arithmetic (part of the authorization may have been released).
    expect(remainingAuthorized(anOrder({ capturedAmount: 4000, remainingAuthorizedAmount: 3000 }), NOW)).toBe(3000);
    expect(remainingAuthorized(anOrder({ capturedAmount: 12_000, remainingAuthorizedAmount: null }), NOW)).toBe(0);
  });

  it('names why an order is closed to captures, in the order Klarna would refuse', () => {
    expect(captureBlocker(anOrder({ status: 'failed' }), 1, NOW)).toBe('the order is failed');
    expect(captureBlocker(anOrder({ status: 'needs_attention' }), 1, NOW)).toBe('the order is still being placed');
    expect(captureBlocker(anOrder({ status: 'cancelled' }), 1, NOW)).toBe('the order is cancelled');
    expect(captureBlocker(anOrder({ status: 'placed' }), 1, NOW)).toBeUndefined();
    expect(captureBlocker(anOrder({ klarnaStatus: null }), 1, NOW)).toBeUndefined();
    expect(captureBlocker(anOrder({ expiresAt: null }), 1, NOW)).toBeUndefined();
    // A fraud status Klarna has not reported yet is no refusal; only one other than ACCEPTED is.
    expect(captureBlocker(anOrder({ fraudStatus: null }), 1, NOW)).toBeUndefined();
    expect(captureBlocker(anOrder({ fraudStatus: 'REJECTED' }), 1, NOW)).toContain('REJECTED');
    expect(
      captureBlocker(
        anOrder({ klarnaStatus: 'part_captured', capturedAmount: 4000, remainingAuthorizedAmount: 0 }),
        1,
        NOW,
      ),
    ).toBe('nothing is left to capture');
  });

  it('refunds only orders that were placed, cancelled ones included', () => {
    const captured = { capturedAmount: 5000 };
    expect(refundBlocker(anOrder({ ...captured, status: 'placing' }), 1)).toBe('the order was never placed');
    expect(refundBlocker(anOrder({ ...captured, status: 'needs_attention' }), 1)).toBe('the order was never placed');
    expect(refundBlocker(anOrder({ ...captured, status: 'failed' }), 1)).toBe('the order was never placed');
    expect(refundBlocker(anOrder({ ...captured, status: 'placed' }), 1)).toBeUndefined();
    expect(refundBlocker(anOrder({ ...captured, status: 'cancelled' }), 1)).toBeUndefined();
  });

  it('extends no authorization of an order that is not open, and one without an expiry up to the limit', () => {
    expect(extendBlocker(anOrder({ status: 'failed' }), NOW)).toBe('the order is failed');
    expect(extendBlocker(anOrder({ status: 'placing' }), NOW)).toBe('the order is still being placed');
    expect(extendBlocker(anOrder({ expiresAt: NOW }), NOW)).toBe('the authorization has expired');
    expect(extendBlocker(anOrder({ klarnaStatus: 'captured' }), NOW)).toBe('the order is fully captured');
    expect(extendBlocker(anOrder({ expiresAt: null }), NOW)).toBeUndefined();
    expect(extendBlocker(anOrder({ expiresAt: new Date(NOW.getTime() + 180 * DAY_MS - 1) }), NOW)).toBeUndefined();
  });

  it('releases nothing of an order that is not open, expired, or fully captured by our own count', () => {
    const partly = { capturedAmount: 4000, klarnaStatus: 'part_captured' as const };
    expect(releaseBlocker(anOrder({ ...partly, status: 'failed' }), NOW)).toBe('the order is failed');
    expect(releaseBlocker(anOrder({ ...partly, status: 'placing' }), NOW)).toBe('the order is still being placed');
    expect(releaseBlocker(anOrder({ ...partly, status: 'needs_attention' }), NOW)).toBe(
      'the order is still being placed',
    );
    expect(releaseBlocker(anOrder({ ...partly, status: 'cancelled' }), NOW)).toBe('the order is cancelled');
    expect(releaseBlocker(anOrder({ ...partly, status: 'placed' }), NOW)).toBeUndefined();
    expect(releaseBlocker(anOrder({ ...partly, capturedAmount: 10_000 }), NOW)).toBe('the order is fully captured');
    expect(releaseBlocker(anOrder({ ...partly, capturedAmount: 9999 }), NOW)).toBeUndefined();
    // Klarna's word that all is captured wins over a count of ours that lags behind it.
    expect(releaseBlocker(anOrder({ ...partly, klarnaStatus: 'captured' }), NOW)).toBe('the order is fully captured');
    expect(releaseBlocker(anOrder({ ...partly, klarnaStatus: 'expired' }), NOW)).toBe('the order is expired');
    expect(releaseBlocker(anOrder({ ...partly, expiresAt: NOW }), NOW)).toBe('the authorization has expired');
    expect(releaseBlocker(anOrder({ ...partly, expiresAt: null }), NOW)).toBeUndefined();
  });

  it('finds drift, applying only what moves forward', () => {
    const ours = anOrder({ klarnaStatus: 'part_captured', capturedAmount: 4000, refundedAmount: 0 });
    const drift = driftBetween(ours, {
      klarnaStatus: 'authorized',
      capturedAmount: 3000,
      refundedAmount: 500,
      expiresAt: new Date(ours.expiresAt!.getTime() + 30_000),
    });
    expect(drift).toEqual([
      { field: 'klarnaStatus', ours: 'part_captured', klarna: 'authorized', forward: false },
      { field: 'capturedAmount', ours: '4000', klarna: '3000', forward: false },
      { field: 'refundedAmount', ours: '0', klarna: '500', forward: true },
    ]);
    const earlier = new Date(ours.expiresAt!.getTime() - DAY_MS);
    expect(
      driftBetween(ours, {
        klarnaStatus: 'part_captured',
        capturedAmount: 4000,
        refundedAmount: 0,
        expiresAt: earlier,
      }),
    ).toEqual([
      { field: 'expiresAt', ours: ours.expiresAt!.toISOString(), klarna: earlier.toISOString(), forward: true },
    ]);
  });

  it('auto-captures digital orders only when nothing is shipped', () => {
    expect(autoCaptureFor('none', [{ type: 'digital' }])).toBe(false);
    expect(autoCaptureFor('all', [{ type: 'physical' }])).toBe(true);
    expect(autoCaptureFor('digital', [{ type: 'digital' }, { type: 'discount' }])).toBe(true);
    expect(autoCaptureFor('digital', [{ type: 'digital' }, { type: 'shipping_fee' }])).toBe(false);
    expect(autoCaptureFor('digital', [{ type: 'digital' }, { type: 'physical' }])).toBe(false);
    expect(autoCaptureFor('digital', [{ type: 'discount' }])).toBe(false);
  });
});
