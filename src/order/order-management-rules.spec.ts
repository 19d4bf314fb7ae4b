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
