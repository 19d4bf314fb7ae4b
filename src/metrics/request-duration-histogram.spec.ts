import { describe, expect, it } from '@jest/globals';
import { Histogram, Registry } from 'prom-client';
import { RequestDurationHistogram } from './request-duration-histogram.js';

/** The same requests (durations in seconds) for our histogram and for prom-client's. */
const OBSERVATIONS: [method: string, route: string, status: number, seconds: number][] = [
  ['GET', '/carts/:cartId', 200, 0.0004],
  ['GET', '/carts/:cartId', 200, 0.001],
  ['GET', '/carts/:cartId', 200, 0.0011],
  ['GET', '/carts/:cartId', 200, 0.3],
  ['GET', '/carts/:cartId', 404, 0.002],
  ['PATCH', '/carts/:cartId/items/:itemId', 200, 0.02],
  ['PATCH', '/carts/:cartId/items/:itemId', 200, 5],
  ['PATCH', '/carts/:cartId/items/:itemId', 200, 7.5],
  ['GET', 'unmatched', 404, 0.0001],
];

function both(): { ours: Registry; theirs: Registry } {
  const ours = new Registry();
  const theirs = new Registry();
  const histogram = new RequestDurationHistogram([ours]);
  const reference = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests served, by method, route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [theirs],
  });
  for (const [method, route, status, seconds] of OBSERVATIONS) {
    histogram.observe(method, route, status, seconds);
    reference.observe({ method, route, status: String(status) }, seconds);
  }
  return { ours, theirs };
}

describe('RequestDurationHistogram', () => {
  it("exports, line for line, what prom-client's Histogram exports for the same requests", async () => {
    const { ours, theirs } = both();
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('gives the same JSON as the Histogram, each value with all its labels', async () => {
    const { ours, theirs } = both();
    const strip = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map(({ values, ...metric }) => ({
        ...metric,
        values: values.map(({ labels, value, metricName }: { labels: object; value: number; metricName?: string }) => ({
          labels,
          value,
          metricName,
        })),
      }));
    expect(strip(await ours.getMetricsAsJSON())).toEqual(strip(await theirs.getMetricsAsJSON()));
  });

  it('starts again from nothing when the registry resets its metrics', async () => {
    const { ours } = both();
    ours.resetMetrics();
    expect(await ours.metrics()).not.toContain('http_request_duration_seconds_count');
  });
});
