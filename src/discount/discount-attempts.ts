/**
 * Failed discount-code attempts per cart, so codes cannot be guessed by brute force: at most `max` failures per
 * cart in any `windowMs`. In-process, per instance, like the other rate limits (README "Running in production");
 * the per-address limit bounds a guesser who spreads over carts. Pure apart from its memory.
 */
export class DiscountAttempts {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    /** Carts remembered at most; the oldest are forgotten first. */
    private readonly trackedCarts = 20_000,
  ) {}

  /** Seconds until the cart may try again; undefined when it may now. */
  retryAfter(cartId: string, now: number): number | undefined {
    const recent = this.recent(cartId, now);
    if (recent.length < this.max) return undefined;
    return Math.max(1, Math.ceil((recent[0] + this.windowMs - now) / 1000));
  }

  recordFailure(cartId: string, now: number): void {
    const recent = this.recent(cartId, now);
    this.failures.delete(cartId);
    this.failures.set(cartId, [...recent, now]);
    if (this.failures.size > this.trackedCarts) {
      this.failures.delete(this.failures.keys().next().value as string);
    }
  }

  private recent(cartId: string, now: number): number[] {
    return (this.failures.get(cartId) ?? []).filter((at) => at > now - this.windowMs);
  }
}
