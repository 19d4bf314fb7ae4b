import type { CallbackSender } from './callbacks.js';
import type { SimulatorClock } from './clock.js';
import type { SimulatorState, StoredAnswer } from './state.js';

/** What the Klarna and control handlers share. */
export interface SimulatorContext {
  state: SimulatorState;
  clock: SimulatorClock;
  callbacks: CallbackSender;
  /** The simulator's own base URL (known once it listens). */
  baseUrl(): string;
}

/** A handler's answer; `afterResponse` runs once the answer left (callbacks are sent after Klarna answered). */
export interface OperationResult extends StoredAnswer {
  afterResponse?: () => void;
}
