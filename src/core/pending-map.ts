// The table of requests waiting for their response (Modbus by unit + transaction id, OPC UA by request id). Almost always
// exactly one request is outstanding: a Map then costs a set, a get and a delete per transaction, and its backing store
// is rebuilt every few deletes (deleted entries leave holes until a rehash) — garbage on the hottest path. Here the one
// outstanding entry lives in a slot; the Map is used only while several are. Behaves as a Map<number, V>: insertion order
// is kept (the slot only fills while the Map is empty, so it is always the oldest entry), and entries may be deleted while
// iterating.

export class PendingMap<V> {
  private slotKey = 0;
  private slotValue: V | undefined = undefined;
  private slotUsed = false;
  private readonly more = new Map<number, V>();

  get size(): number {
    return (this.slotUsed ? 1 : 0) + this.more.size;
  }

  get(key: number): V | undefined {
    if (this.slotUsed && this.slotKey === key) return this.slotValue;
    return this.more.size === 0 ? undefined : this.more.get(key);
  }

  has(key: number): boolean {
    return (this.slotUsed && this.slotKey === key) || (this.more.size > 0 && this.more.has(key));
  }

  set(key: number, value: V): void {
    if (this.slotUsed && this.slotKey === key) {
      this.slotValue = value;
    } else if (!this.slotUsed && this.more.size === 0) {
      this.slotUsed = true;
      this.slotKey = key;
      this.slotValue = value;
    } else {
      this.more.set(key, value);
    }
  }

  delete(key: number): boolean {
    if (this.slotUsed && this.slotKey === key) {
      this.slotUsed = false;
      this.slotValue = undefined;
      return true;
    }
    return this.more.size > 0 && this.more.delete(key);
  }

  clear(): void {
    this.slotUsed = false;
    this.slotValue = undefined;
    this.more.clear();
  }

  /** The oldest entry, or undefined when empty. */
  first(): [number, V] | undefined {
    if (this.slotUsed) return [this.slotKey, this.slotValue as V];
    return this.more.entries().next().value;
  }

  /** Entries oldest first (deleting the current entry while iterating is fine, as with a Map). */
  *[Symbol.iterator](): IterableIterator<[number, V]> {
    if (this.slotUsed) yield [this.slotKey, this.slotValue as V];
    yield* this.more;
  }

  *values(): IterableIterator<V> {
    for (const [, v] of this) yield v;
  }
}
