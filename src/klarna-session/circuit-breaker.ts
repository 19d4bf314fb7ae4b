/**
 * Stops pushing cart changes to Klarna for a cool-down after consecutive transient failures. A push runs
 * inside the cart's transaction, so while Klarna hangs every change would hold a pooled connection for
 * KLARNA_TIMEOUT_MS and the whole service would stall; with the circuit open, changes are kept at once as
 * `inSync: false` and the retry job pushes them when Klarna answers again. Hand-written: a counter and a
 * deadline, smaller than any library's wrapping of the call.
 */
export class CircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil = 0;

  constructor(
    private readonly failureThreshold: number,
    private readonly coolDownMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until calls are allowed again; 0 when closed. */
  remainingOpenMs(): number {
    return Math.max(0, this.openUntil - this.now());
  }

  recordSuccess(): void {
    this.consecutiveFailures = 0;
    this.openUntil = 0;
  }

  /** Returns true when this failure opened the circuit. */
  recordFailure(): boolean {
    this.consecutiveFailures += 1;
    if (this.consecutiveFailures < this.failureThreshold) return false;
    this.consecutiveFailures = 0;
    this.openUntil = this.now() + this.coolDownMs;
    return true;
  }
}
