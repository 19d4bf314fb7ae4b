/**
 * The simulator's clock: real time plus an offset that tests move forward, so 48-hour sessions,
 * 60-minute authorization tokens and 28-day order authorizations expire without waiting.
 */
export class SimulatorClock {
  private offsetMs = 0;

  now(): number {
    return Date.now() + this.offsetMs;
  }

  nowIso(): string {
    return new Date(this.now()).toISOString();
  }

  advance(ms: number): void {
    this.offsetMs += ms;
  }

  set(isoTime: string): void {
    this.offsetMs = Date.parse(isoTime) - Date.now();
  }

  reset(): void {
    this.offsetMs = 0;
  }
}
