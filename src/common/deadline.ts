/**
 * Runs `work` with a signal that aborts after `ms` the way `AbortSignal.timeout(ms)` does (with a DOMException named
 * TimeoutError), but whose timer ends with the work. `AbortSignal.timeout`'s timer stays for the whole `ms` after the
 * call has ended, and reaches the signal through a WeakRef, which minor GCs do not clear: every outgoing call kept
 * its signal, and whatever listened to it, alive into the old generation. Under cart changes that was about 200 KB
 * promoted per scavenge against 47 KB (issue 14, bench/README.md).
 */
export async function withDeadline<T>(ms: number, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')),
    ms,
  );
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}
