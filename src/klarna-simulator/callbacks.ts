/**
 * Server-to-server calls Klarna makes to the merchant: the authorization callback, the order push and fraud
 * notifications. Sent fire-and-forget after the triggering answer, recorded for tests, and subject to callback
 * faults (drop, duplicate, delay) set through POST /_sim/callback-faults.
 */
import { request } from 'undici';
import type { SimulatorClock } from './clock.js';

export type CallbackKind = 'authorization' | 'push' | 'notification';

export interface CallbackRecord {
  id: number;
  kind: CallbackKind;
  url: string;
  body: unknown;
  /** When the simulator decided to send it (sim clock). */
  at: string;
  /** The merchant's HTTP status, once answered. */
  status?: number;
  /** Network error, once failed. */
  error?: string;
  dropped?: boolean;
  /** The second copy of a duplicated callback. */
  duplicate?: boolean;
}

export interface CallbackFaults {
  /** The next N callbacks are not sent (recorded with `dropped: true`). */
  drop: number;
  /** The next N callbacks are sent twice. */
  duplicate: number;
  /** Every callback waits this long before being sent. */
  delayMs: number;
}

const MAX_RECORDS = 10_000;
const CALLBACK_TIMEOUT_MS = 10_000;

/** Klarna replaces these placeholders in merchant URLs (KP-SPEC merchant_urls; KCO for `{checkout.order.id}`). */
export function fillPlaceholders(url: string, ids: { sessionId?: string; orderId?: string }): string {
  let filled = url;
  if (ids.sessionId) filled = filled.replaceAll('{session.id}', ids.sessionId);
  if (ids.orderId) filled = filled.replaceAll('{order.id}', ids.orderId).replaceAll('{checkout.order.id}', ids.orderId);
  return filled;
}

export class CallbackSender {
  private records: CallbackRecord[] = [];
  private nextId = 1;
  private faults: CallbackFaults = { drop: 0, duplicate: 0, delayMs: 0 };
  private readonly inFlight = new Set<AbortController>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly clock: SimulatorClock) {}

  /** `delayMs`: this callback alone arrives late (the stand-in SDK's "approve, then send the callback late"). */
  send(kind: CallbackKind, url: string, body: unknown, delayMs = 0): void {
    if (this.faults.drop > 0) {
      this.faults.drop -= 1;
      this.record({ kind, url, body, dropped: true });
      return;
    }
    const copies = this.faults.duplicate > 0 ? 2 : 1;
    if (copies === 2) this.faults.duplicate -= 1;
    for (let copy = 0; copy < copies; copy++) {
      const record = this.record({ kind, url, body, duplicate: copy > 0 ? true : undefined });
      this.later(() => void this.deliver(record), this.faults.delayMs + delayMs);
    }
  }

  list(): CallbackRecord[] {
    return this.records;
  }

  setFaults(faults: Partial<CallbackFaults>): CallbackFaults {
    this.faults = { ...this.faults, ...faults };
    return this.faults;
  }

  clear(): void {
    this.records = [];
  }

  reset(): void {
    this.clear();
    this.faults = { drop: 0, duplicate: 0, delayMs: 0 };
    this.abortAll();
  }

  close(): void {
    this.abortAll();
  }

  private abortAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const controller of this.inFlight) controller.abort();
    this.inFlight.clear();
  }

  private record(fields: Omit<CallbackRecord, 'id' | 'at'>): CallbackRecord {
    const record: CallbackRecord = { id: this.nextId++, at: this.clock.nowIso(), ...fields };
    if (record.duplicate === undefined) delete record.duplicate;
    this.records.push(record);
    if (this.records.length > MAX_RECORDS) this.records.shift();
    return record;
  }

  private later(task: () => void, delayMs: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, delayMs);
    this.timers.add(timer);
  }

  private async deliver(record: CallbackRecord): Promise<void> {
    const controller = new AbortController();
    this.inFlight.add(controller);
    const timeout = setTimeout(() => controller.abort(), CALLBACK_TIMEOUT_MS);
    try {
      // undici's request, not fetch: in the benchmark this process shares two cores with the service, and fetch
      // costs about twice the CPU per call.
      const response = await request(record.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'KlarnaSimulator/1.0' },
        body: JSON.stringify(record.body),
        signal: controller.signal,
      });
      await response.body.arrayBuffer();
      record.status = response.statusCode;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
    } finally {
      clearTimeout(timeout);
      this.inFlight.delete(controller);
    }
  }
}
