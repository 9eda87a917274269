// Named counters for everything the pipeline counts (truncated frames, gaps, evictions, weird PDUs, internal errors …).
// One instance per pipeline; names are dotted stable ids ("decode.ipv4.truncated", "flow.evicted", "internal.modbus.exception").

export class Counters {
  private readonly values = new Map<string, number>();

  add(name: string, n = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + n);
  }

  /** Sets a gauge-like value (e.g. "flow.active"). */
  set(name: string, value: number): void {
    this.values.set(name, value);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  /** Sum of every counter whose name starts with `prefix`. */
  sum(prefix: string): number {
    let total = 0;
    for (const [k, v] of this.values) if (k.startsWith(prefix)) total += v;
    return total;
  }

  /** Sorted plain object, for summaries, JSON and golden files. */
  snapshot(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const k of [...this.values.keys()].sort()) out[k] = this.values.get(k) ?? 0;
    return out;
  }
}
