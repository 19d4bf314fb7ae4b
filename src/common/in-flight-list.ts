interface Entry<T> {
  value: T | undefined;
  previous: Entry<T> | undefined;
  next: Entry<T> | undefined;
}

/** What `add` returns: the handle that removes that one value again. */
export type InFlightHandle = object;

/**
 * What is running now (requests being served, jobs being worked), for a graceful shutdown to wait for and name: a
 * doubly linked list, not a `Set` or a `Map`.
 *
 * A Set that gains and loses an entry on every request rehashes into a new table every few dozen requests, and V8
 * keeps each replaced table, with its entries, linked to the one that replaced it (so that live iterators can follow).
 * Once one table of that chain has reached the old generation, every minor GC finds the whole chain through it, so
 * each recent request (about 3.5 KB with its response) survives two minor GCs, is promoted, and waits for a full GC.
 * Under load that made the service's scavenges promote about 360 KB each, against 7 KB without the Set; the same
 * holds for a Map (bench/README.md, "Garbage collection and the young generation"). A removed entry here is unlinked
 * and cleared, so nothing dead points at a live request.
 */
export class InFlightList<T> implements Iterable<T> {
  private first: Entry<T> | undefined;
  private last: Entry<T> | undefined;
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(value: T): InFlightHandle {
    const entry: Entry<T> = { value, previous: this.last, next: undefined };
    if (this.last) this.last.next = entry;
    else this.first = entry;
    this.last = entry;
    this.count += 1;
    return entry;
  }

  /** Removes the value `handle` was returned for. False: it was removed before (a second call does nothing). */
  remove(handle: InFlightHandle): boolean {
    const entry = handle as Entry<T>;
    if (entry.value === undefined) return false;
    if (entry.previous) entry.previous.next = entry.next;
    else this.first = entry.next;
    if (entry.next) entry.next.previous = entry.previous;
    else this.last = entry.previous;
    entry.value = entry.previous = entry.next = undefined;
    this.count -= 1;
    return true;
  }

  /** Oldest first. */
  *[Symbol.iterator](): Iterator<T> {
    for (let entry = this.first; entry; entry = entry.next) yield entry.value as T;
  }
}
