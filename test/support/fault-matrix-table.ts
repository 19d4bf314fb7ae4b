/** The fault matrices' printed table: one row per call, one column per fault, each cell its outcome. */
export function faultMatrixTable(
  calls: readonly string[],
  faults: readonly string[],
  results: ReadonlyMap<string, ReadonlyMap<string, string>>,
): string {
  const width = Math.max(...calls.map((call) => call.length));
  return [
    `${'call'.padEnd(width)} | ${faults.join(' | ')}`,
    `${'-'.repeat(width)} | ${faults.map((fault) => '-'.repeat(fault.length)).join(' | ')}`,
    ...calls.map(
      (call) =>
        `${call.padEnd(width)} | ${faults.map((fault) => (results.get(call)?.get(fault) ?? 'not run').padEnd(fault.length)).join(' | ')}`,
    ),
  ].join('\n');
}
