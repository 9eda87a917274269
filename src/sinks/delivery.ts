// The delivery loop both sinks share (issue 4 §3): every item is first appended to the persistent spool (write-ahead),
// then delivered from the spool in order, one batch at a time; a batch leaves the spool only once the server
// acknowledged it. A failed attempt retries the same records after an exponential backoff (BACKOFF_MIN_MS ..
// BACKOFF_MAX_MS), so order is kept across outages and restarts and nothing waits in memory that a crash could lose.
import type { Spool, SpoolRecord } from "./spool.ts";

export const BACKOFF_MIN_MS = 100;
export const BACKOFF_MAX_MS = 10_000;
export const CLOSE_GRACE_MS = 2000;

export interface SinkCounters {
  /** Items the server acknowledged. */
  written: number;
  /** Items that had to wait in the spool because the server was down or failing (each counted once). */
  spooled: number;
  /** Items lost: spool full, or rejected by the server as invalid (never retried). */
  dropped: number;
  /** Failed delivery attempts. */
  retries: number;
  /** Items waiting in the spool now. */
  depth: number;
}

/** Delivers a batch in order; resolves with how many leading records were delivered (all unless it stopped early). */
export type DeliverFn = (records: readonly SpoolRecord[]) => Promise<number>;

/**
 * Thrown by a DeliverFn for records the server will never accept: they are not retried. `droppedItems` says how many
 * items the server refused (InfluxDB's partial write reports it); the others of those records count as written.
 */
export class RejectedError extends Error {
  constructor(message: string, readonly records: number, readonly droppedItems?: number) {
    super(message);
  }
}

export interface DeliveryOptions {
  name: string;
  spool: Spool;
  deliver: DeliverFn;
  /** Items per delivery attempt. */
  maxBatch: number;
  log: (msg: string) => void;
  backoffMinMs?: number;
  backoffMaxMs?: number;
}

export class DeliveryQueue {
  private running: Promise<void> | undefined;
  private closed = false;
  private failing = false;
  private backoff: number;
  private wake: (() => void) | undefined;
  private readonly c = { written: 0, spooled: 0, rejected: 0, retries: 0 };
  /** Items handed over (including those found in the spool at start), items acknowledged or rejected, and how many of
   * the first `known` were already counted as spooled: each item counts at most once across outages. */
  private known: number;
  private settled = 0;
  private countedUpTo = 0;

  constructor(private readonly o: DeliveryOptions) {
    this.backoff = o.backoffMinMs ?? BACKOFF_MIN_MS;
    this.known = o.spool.depth;
  }

  counters(): SinkCounters {
    return {
      written: this.c.written,
      spooled: this.c.spooled,
      dropped: this.o.spool.dropped + this.c.rejected,
      retries: this.c.retries,
      depth: this.o.spool.depth,
    };
  }

  /** Appends to the spool (synchronously: on disk when this returns) and starts delivering. */
  push(items: readonly unknown[]): void {
    if (items.length === 0) return;
    this.o.spool.append(items);
    this.known += items.length;
    if (this.failing) this.countSpooled();
    this.kick();
  }

  /** Starts the delivery loop when it is idle (a loop waiting out a backoff keeps waiting). */
  kick(): void {
    if (this.closed) return;
    if (!this.running) this.running = this.loop().finally(() => (this.running = undefined));
  }

  /** The transport reports it is down (MQTT connection closed): what waits now, and what comes, counts as spooled. */
  markDown(reason: string): void {
    if (this.failing || this.closed) return;
    this.failing = true;
    this.countSpooled();
    this.o.log(`${this.o.name}: ${reason}, spooling (${this.o.spool.depth} waiting)`);
  }

  private countSpooled(): void {
    this.c.spooled += Math.max(0, this.known - Math.max(this.countedUpTo, this.settled));
    this.countedUpTo = this.known;
  }

  /** The transport is back (MQTT reconnected): retry now instead of at the end of the backoff. */
  resume(): void {
    if (this.wake) {
      const w = this.wake;
      this.wake = undefined;
      this.backoff = this.o.backoffMinMs ?? BACKOFF_MIN_MS;
      w();
    }
    this.kick();
  }

  /** True once everything pushed so far was delivered; false when `timeoutMs` passed first. */
  async flush(timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    this.kick();
    while (!this.o.spool.empty) {
      if (Date.now() >= deadline || this.closed) return false;
      await sleep(Math.min(20, Math.max(1, deadline - Date.now())));
      if (!this.running) this.kick();
    }
    return true;
  }

  /**
   * Stops delivering; what is left stays in the spool for the next start. Waits up to `graceMs` for the attempt in
   * flight (an MQTT publish sent just before the broker died may stay pending until the client is ended).
   */
  async close(graceMs = CLOSE_GRACE_MS): Promise<void> {
    this.closed = true;
    this.wake?.();
    if (this.running) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.running, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
      clearTimeout(timer);
    }
    this.o.spool.close();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      const records = this.o.spool.peek(this.o.maxBatch);
      if (records.length === 0) return;
      let done = 0;
      let error: unknown;
      try {
        done = await this.o.deliver(records);
      } catch (err) {
        error = err;
        if (err instanceof RejectedError) {
          const bad = records.slice(0, Math.max(1, err.records));
          const total = bad.reduce((sum, r) => sum + r.count, 0);
          const n = Math.min(total, err.droppedItems ?? total);
          this.c.rejected += n;
          this.c.written += total - n;
          this.settled += total;
          this.o.log(`${this.o.name}: server rejected ${n} of ${total} item(s), dropped: ${err.message}`);
          this.o.spool.ack(bad);
          continue;
        }
      }
      if (done > 0) {
        const ok = records.slice(0, done);
        this.o.spool.ack(ok);
        const n = ok.reduce((sum, r) => sum + r.count, 0);
        this.c.written += n;
        this.settled += n;
      }
      if (done >= records.length) {
        if (this.failing) this.o.log(`${this.o.name}: delivering again`);
        this.failing = false;
        this.backoff = this.o.backoffMinMs ?? BACKOFF_MIN_MS;
        continue;
      }
      this.c.retries++;
      this.markDown(`delivery failed: ${describe(error)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, this.backoff);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.backoff = Math.min(this.backoff * 2, this.o.backoffMaxMs ?? BACKOFF_MAX_MS);
    }
  }
}

function describe(err: unknown): string {
  if (err === undefined) return "not connected";
  return err instanceof Error ? err.message : String(err);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
