/** The Klarna calls the simulator received, oldest first, in a ring buffer so a benchmark cannot grow it without limit. */
export interface RecordedCall {
  operation: string;
  method: string;
  path: string;
  headers: { authorization?: string; 'klarna-idempotency-key'?: string; 'user-agent'?: string };
  body: unknown;
  /** null when no answer was sent (timeout fault). */
  status: number | null;
  response: unknown;
  at: string;
  correlation_id: string;
  /** Set when an injected fault shaped the answer. */
  fault?: 'latency' | 'error' | 'timeout' | 'cut' | 'timeout-after' | 'unreadable';
}

export class CallLog {
  private readonly entries: (RecordedCall | undefined)[];
  private next = 0;
  private count = 0;

  constructor(private readonly capacity = 10_000) {
    this.entries = new Array<RecordedCall | undefined>(capacity);
  }

  add(call: RecordedCall): void {
    this.entries[this.next] = call;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  list(operation?: string): RecordedCall[] {
    const calls: RecordedCall[] = [];
    const start = (this.next - this.count + this.capacity) % this.capacity;
    for (let i = 0; i < this.count; i++) {
      const call = this.entries[(start + i) % this.capacity];
      if (call && (operation === undefined || call.operation === operation)) calls.push(call);
    }
    return calls;
  }

  clear(): void {
    this.entries.fill(undefined);
    this.next = 0;
    this.count = 0;
  }
}
