/**
 * Issue 14's targets for one bench report, the round-trip check the smoke run enforces, and the comparison of a
 * `--background-carts` run with a normal run. Pure functions over the report object bench/run.mjs writes.
 */

/** Round trips per request the probe may show (issue 14), including BEGIN/COMMIT. */
export const ROUND_TRIP_LIMITS = { mutation: 4, read: 2, noOpMutation: 3 };

/** A `--background-carts` run keeps change and read throughput within this share of the normal run's. */
export const SCALE_TOLERANCE = 0.1;

const round = (value, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

/**
 * @typedef {{ target: string, value: unknown, met: boolean | null }} Check
 * `met: null` means not measured in this run (smoke levels, no soak, no order endpoint, no scale run).
 */

/**
 * The exact probe limits: what `npm run bench:smoke` fails on. Uses the median round trips per request (see
 * bench/README.md, "The round-trip check") and the Klarna calls the simulator recorded.
 * @returns {string[]} one line per breach; empty when the probe is within the limits
 */
export function roundTripBreaches(probe) {
  const breaches = [];
  const over = (name, label, limit) => {
    const measured = probe[name];
    if (measured.roundTripsMedian > limit)
      breaches.push(
        `${label} costs ${measured.roundTripsMedian} round trips to PostgreSQL (median of ${measured.requests} sequential requests; limit ${limit})`,
      );
  };
  over('mutation', 'a cart change', ROUND_TRIP_LIMITS.mutation);
  over('read', 'a cart read', ROUND_TRIP_LIMITS.read);
  over('noOpMutation', 'a no-op cart change', ROUND_TRIP_LIMITS.noOpMutation);
  if (probe.noOpMutation.klarnaCalls > 0)
    breaches.push(
      `a no-op cart change called Klarna ${probe.noOpMutation.klarnaCalls} times over ${probe.noOpMutation.requests} requests (limit 0)`,
    );
  return breaches;
}

/** @returns {Check[]} issue 14's targets, each met, missed or not measured */
export function evaluateTargets(report) {
  const run = (scenario, connections) =>
    report.runs.find((r) => r.target === 'service' && r.scenario === scenario && r.connections === connections);
  /** @type {Check[]} */
  const checks = [];
  const add = (target, value, met) =>
    checks.push({ target, value: value ?? 'not measured', met: value == null ? null : met });

  const probe = report.probe.service;
  add(
    `round trips per cart change <= ${ROUND_TRIP_LIMITS.mutation} (median, incl. BEGIN/COMMIT)`,
    probe.mutation.roundTripsMedian,
    probe.mutation.roundTripsMedian <= ROUND_TRIP_LIMITS.mutation,
  );
  add(
    `round trips per cart read <= ${ROUND_TRIP_LIMITS.read} (median)`,
    probe.read.roundTripsMedian,
    probe.read.roundTripsMedian <= ROUND_TRIP_LIMITS.read,
  );
  add(
    `round trips per no-op change <= ${ROUND_TRIP_LIMITS.noOpMutation} (median)`,
    probe.noOpMutation.roundTripsMedian,
    probe.noOpMutation.roundTripsMedian <= ROUND_TRIP_LIMITS.noOpMutation,
  );
  add(
    'Klarna calls per no-op change = 0',
    probe.noOpMutation.klarnaCallsPerRequest,
    probe.noOpMutation.klarnaCalls === 0,
  );
  add(
    'Klarna calls per cart change = 1',
    probe.mutation.klarnaCallsPerRequest,
    probe.mutation.klarnaCallsPerRequest === 1,
  );

  for (const connections of [16, 64]) {
    const mutation = run('cart-mutation', connections);
    add(
      `cart-mutation at ${connections}: >= 0.75 of baseline, no errors`,
      mutation?.vsBaseline,
      mutation && mutation.vsBaseline >= 0.75 && mutation.errors + mutation.non2xx === 0,
    );
  }
  for (const connections of [1, 16, 64]) {
    const read = run('cart-read', connections);
    add(
      `cart-read at ${connections}: >= 0.85 of baseline, no errors`,
      read?.vsBaseline,
      read && read.vsBaseline >= 0.85 && read.errors + read.non2xx === 0,
    );
  }
  for (const scenario of ['cart-mutation', 'cart-read']) {
    const at16 = run(scenario, 16);
    add(`${scenario} p99 at 16 <= 2x baseline p99`, at16?.p99VsBaseline, at16 && at16.p99VsBaseline <= 2);
  }
  add('service peak RSS over the whole run < 200 MB', report.service.peakRssMb, report.service.peakRssMb < 200);
  add(
    `no RSS growth over the soak (<= 10%${report.soak && report.soak.durationS < 120 ? `; soak only ${report.soak.durationS}s, issue asks 120s` : ''})`,
    report.soak?.growth,
    report.soak && !report.soak.grewOver10Percent,
  );

  const checkout16 = report.checkout.find((r) => r.connections === 16);
  add(
    'checkout flows at 16 shoppers: p50 <= 300 ms, no errors',
    checkout16?.p50Ms,
    checkout16 && checkout16.p50Ms <= 300 && checkout16.errors === 0,
  );
  const flows = report.probe.flows;
  add(
    'round trips and Klarna calls per whole checkout flow do not grow when it repeats',
    flows
      ? `round trips ${flows.first.roundTrips} -> ${flows.last.roundTrips}, Klarna ${flows.first.klarnaCalls} -> ${flows.last.klarnaCalls}`
      : null,
    flows && !flows.grows,
  );

  const scale = report.scale;
  add(
    `with --background-carts: change and read req/s >= ${1 - SCALE_TOLERANCE} of the normal run's`,
    scale?.minRatio,
    scale && scale.minRatio >= 1 - SCALE_TOLERANCE,
  );
  return checks;
}

/** `compareScale`'s method when the small-database service was loaded in turn within the same run. */
export const INTERLEAVED = 'interleaved in one run';

/** A normal full run: one a scale comparison may be made against, or recorded in. */
export const isNormalFullRun = (report) => report.mode === 'full' && !(report.settings.backgroundCarts > 0);

/**
 * The service's req/s of a `--background-carts` run against the same service on a database with only the seeded
 * carts, per scenario and connection level: `normalTarget` 'service-small' is that second service, loaded in turn
 * with the first in the same run; 'service' compares with a separate normal full run (bench/results/latest.json).
 * `scaleTarget` 'baseline' with 'baseline-small' gives the same comparison for the bare baseline (the control).
 * @returns {object | null} null when there is nothing comparable
 */
export function compareScale(scaleReport, normalReport, normalTarget = 'service', scaleTarget = 'service') {
  const levels = [];
  for (const run of scaleReport.runs.filter((r) => r.target === scaleTarget)) {
    const normal = normalReport.runs.find(
      (r) => r.target === normalTarget && r.scenario === run.scenario && r.connections === run.connections,
    );
    if (!normal || !(normal.reqPerSec > 0)) continue;
    levels.push({
      scenario: run.scenario,
      connections: run.connections,
      normalReqPerSec: normal.reqPerSec,
      scaleReqPerSec: run.reqPerSec,
      ratio: round(run.reqPerSec / normal.reqPerSec),
      normalP99Ms: normal.p99Ms,
      scaleP99Ms: run.p99Ms,
    });
  }
  if (levels.length === 0) return null;
  const differences = ['durationS', 'warmupS', 'carts', 'databasePoolSize']
    .filter((key) => scaleReport.settings[key] !== normalReport.settings[key])
    .map((key) => `${key} ${normalReport.settings[key]} vs ${scaleReport.settings[key]}`);
  return {
    backgroundCarts: scaleReport.settings.backgroundCarts,
    method: normalTarget.endsWith('-small') ? INTERLEAVED : 'against a separate normal run',
    normalRunStartedAt: normalReport.startedAt,
    scaleRunStartedAt: scaleReport.startedAt,
    settingsDiffer: differences,
    levels,
    minRatio: Math.min(...levels.map((level) => level.ratio)),
  };
}
