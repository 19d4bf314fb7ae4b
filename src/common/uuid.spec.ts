import { describe, expect, it } from '@jest/globals';
import { uuidV7 } from './uuid.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidV7', () => {
  it('is a version 7, variant 1 UUID whose first 48 bits are the time in milliseconds', () => {
    const id = uuidV7(Date.UTC(2026, 11, 3, 14, 0, 0, 123));
    expect(id).toMatch(V7);
    expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(Date.UTC(2026, 11, 3, 14, 0, 0, 123));
  });

  it('sorts by time: a later millisecond gives a greater id, as text and as PostgreSQL compares uuids', () => {
    const earlier = uuidV7(1_796_306_000_000);
    const later = uuidV7(1_796_306_000_001);
    expect(earlier < later).toBe(true);
  });

  it('keeps the bits after the time random: ids of the same millisecond do not follow from each other', () => {
    const ids = Array.from({ length: 1000 }, () => uuidV7(1_796_306_000_000));
    expect(new Set(ids).size).toBe(1000);
    // A counter (RFC 9562's monotonic method) would make the ids of one millisecond ascend in creation order.
    const ascending = ids.every((id, index) => index === 0 || ids[index - 1] < id);
    expect(ascending).toBe(false);
  });
});
