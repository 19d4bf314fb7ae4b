import { BrokenCircuitError, CircuitState, SamplingBreaker, circuitBreaker, handleWhen } from 'cockatiel';

export interface CircuitBreakerOptions {
  /** Opens when more than this share (0..1) of the calls in the window failed or were slow... */
  failureRate: number;
  windowMs: number;
  /** ...and the window saw at least this many calls. */
  minCalls: number;
  /** Open for this long; then exactly one trial call goes through (half-open). */
  coolDownMs: number;
  /** A call slower than this counts as a failure, though its answer is used. */
  slowCallMs: number;
  /** The errors that count as failures (Klarna's timeouts and 5xx; a 4xx is Klarna answering). */
  isFailure: (error: unknown) => boolean;
}

/** Thrown instead of calling while the circuit is open, or while its one trial call is out. */
export class CircuitOpenError extends Error {
  constructor(readonly remainingMs: number) {
    super(`circuit open for ${remainingMs} ms`);
  }
}

interface TimedAnswer<T> {
  value: T;
  slow: boolean;
}

/**
 * Stops pushing cart changes to Klarna while it fails or answers slowly. A push runs inside the cart's
 * transaction, so while Klarna is slow every change holds a pooled connection for the whole call; with the
 * circuit open, changes are kept at once as `inSync: false` and the retry job pushes them later. cockatiel's
 * SamplingBreaker judges a failure rate over a sliding window; slowness is fed to it as a failed result. While
 * the trial call is out, the others are refused at once rather than queued behind it (they hold a row lock).
 */
export class CircuitBreaker {
  private readonly policy;
  private openedAt = 0;

  constructor(private readonly options: CircuitBreakerOptions) {
    const breaker = new SamplingBreaker({
      threshold: options.failureRate,
      duration: options.windowMs,
      minimumRps: options.minCalls / (options.windowMs / 1000),
    });
    this.policy = circuitBreaker(
      handleWhen(options.isFailure).orWhenResult((answer) => (answer as TimedAnswer<unknown>).slow),
      { halfOpenAfter: options.coolDownMs, breaker },
    );
    this.policy.onBreak(() => (this.openedAt = Date.now()));
  }

  /** Calls through the breaker; throws CircuitOpenError without calling while it is open. */
  async call<T>(call: () => Promise<T>): Promise<T> {
    if (this.policy.state === CircuitState.HalfOpen) throw new CircuitOpenError(0);
    try {
      const answer = await this.policy.execute(async (): Promise<TimedAnswer<T>> => {
        const started = performance.now();
        const value = await call();
        return { value, slow: performance.now() - started > this.options.slowCallMs };
      });
      return answer.value;
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new CircuitOpenError(Math.max(0, this.openedAt + this.options.coolDownMs - Date.now()));
      }
      throw error;
    }
  }

  /** Subscribes to the circuit opening (for a log line). */
  onOpen(listener: () => void): void {
    this.policy.onBreak(listener);
  }
}
