import type { Histogram, Registry } from 'prom-client';

/** Upper bounds in seconds, as `le` labels. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;

interface Series {
  labels: { method: string; route: string; status: string };
  /** Observations per bucket, not cumulative; the last one counts those above every bound. */
  counts: number[];
  sum: number;
  count: number;
}

/** One line of the exposition: prom-client's registry joins `labels` and `sharedLabels` into the line's labels. */
interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Series['labels'];
  value: number;
  metricName: string;
}

/** What the registry reads from a metric (prom-client's own type for it is its classes'). */
interface Exported {
  name: string;
  help: string;
  type: 'histogram';
  aggregator: 'sum';
  values: ExportedValue[];
}

/**
 * `http_request_duration_seconds` by method, route and status: a Prometheus histogram written here rather than with
 * prom-client's Histogram, whose `observe` checks the labels and builds a hash string on every call. That was about
 * 1.5 % of the service's CPU per cart read, the storefront's most frequent call (issue 14, bench/README.md). Here a
 * request finds its series through maps keyed by the route and method strings (the same string objects each time)
 * and by the status number, and adds one.
 *
 * It goes into prom-client's registry as any metric does (`get`, `getForPromString`, `reset`), and exports what the
 * Histogram would: request-duration-histogram.spec.ts holds the two side by side.
 */
export class RequestDurationHistogram {
  readonly name = 'http_request_duration_seconds';
  readonly help = 'HTTP requests served, by method, route and status';
  readonly type = 'histogram' as const;
  readonly aggregator = 'sum' as const;
  private readonly byRoute = new Map<string, Map<string, Map<number, Series>>>();

  /** Registers itself, as prom-client's metrics do with their `registers` option. */
  constructor(registers: readonly Registry[]) {
    // prom-client types a registry's metrics as its own classes; this one has the interface the registry uses.
    for (const registry of registers) registry.registerMetric(this as unknown as Histogram);
  }

  observe(method: string, route: string, status: number, seconds: number): void {
    let byMethod = this.byRoute.get(route);
    if (!byMethod) this.byRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (!series) {
      series = { labels: { method, route, status: String(status) }, counts: BUCKETS.map(() => 0), sum: 0, count: 0 };
      series.counts.push(0);
      byStatus.set(status, series);
    }
    let bucket = 0;
    while (bucket < BUCKETS.length && seconds > BUCKETS[bucket]) bucket += 1;
    series.counts[bucket] += 1;
    series.sum += seconds;
    series.count += 1;
  }

  /** The text exposition's form: the series' labels as `sharedLabels`, as prom-client's Histogram gives them. */
  getForPromString(): Promise<Exported> {
    const values: ExportedValue[] = [];
    for (const byMethod of this.byRoute.values()) {
      for (const byStatus of byMethod.values()) {
        for (const series of byStatus.values()) values.push(...exportSeries(this.name, series));
      }
    }
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** The JSON form (`getMetricsAsJSON`): each value carries all its labels. */
  async get(): Promise<Exported> {
    const exported = await this.getForPromString();
    for (const value of exported.values) {
      value.labels = { ...value.labels, ...value.sharedLabels };
      delete value.sharedLabels;
    }
    return exported;
  }

  reset(): void {
    this.byRoute.clear();
  }
}

function exportSeries(name: string, series: Series): ExportedValue[] {
  const sharedLabels = series.labels;
  const values: ExportedValue[] = [];
  let cumulative = 0;
  for (const [index, bound] of BUCKETS.entries()) {
    cumulative += series.counts[index];
    values.push({ labels: { le: bound }, sharedLabels, value: cumulative, metricName: `${name}_bucket` });
  }
  values.push(
    { labels: { le: '+Inf' }, sharedLabels, value: series.count, metricName: `${name}_bucket` },
    { labels: {}, sharedLabels, value: series.sum, metricName: `${name}_sum` },
    { labels: {}, sharedLabels, value: series.count, metricName: `${name}_count` },
  );
  return values;
}
