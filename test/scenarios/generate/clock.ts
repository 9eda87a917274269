// Scenario generator, the fast clock: scenario seconds run `scale` times faster than real time while the peers talk on
// loopback; the offline rewrite multiplies real inter-packet times by the same scale, so a few real minutes become an
// hour of capture. Attack windows are recorded in real epoch seconds and mapped with the same function as packets.

/** Epoch seconds with sub-millisecond precision (Date.now() is whole ms: 10 ms of scenario time at 10×). */
export function preciseNow(): number {
  return (performance.timeOrigin + performance.now()) / 1000;
}

export class FastClock {
  /** Real epoch seconds at scenario time 0. */
  readonly t0: number;
  private stopped = false;
  private readonly waits = new Map<NodeJS.Timeout, (ok: boolean) => void>();

  constructor(readonly scale: number) {
    this.t0 = preciseNow();
  }

  /** Scenario seconds since the start. */
  now(): number {
    return (preciseNow() - this.t0) * this.scale;
  }

  /** Real epoch seconds of now (for attack windows). */
  real(): number {
    return preciseNow();
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Waits until scenario time `s` (or until stop()); resolves false when stopped. */
  until(s: number): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    const ms = Math.max(0, (s / this.scale + this.t0 - preciseNow()) * 1000);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.waits.delete(t);
        resolve(!this.stopped);
      }, ms);
      this.waits.set(t, resolve);
    });
  }

  /** Waits `s` scenario seconds. */
  sleep(s: number): Promise<boolean> {
    return this.until(this.now() + s);
  }

  /** Ends the scenario: every pending wait resolves false at once. */
  stop(): void {
    this.stopped = true;
    for (const [t, resolve] of this.waits) {
      clearTimeout(t);
      resolve(false);
    }
    this.waits.clear();
  }
}

/** Runs tasks one at a time on a shared connection (modbus-serial pairs one request at a time per client). */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.tail.then(fn, fn);
    this.tail = p.catch(() => undefined);
    return p;
  }
}
