// Sensor health as anomalies (issue 5 §1): "no traffic on interface X for N minutes" (`sensor.no-traffic`) and capture
// drops above a threshold (`sensor.capture-drops`), checked on packet time by an Analyzer, so they go through the same
// path as every other anomaly (engine aggregation, JSONL, MQTT, InfluxDB, the API). In live mode packet time keeps
// moving during silence (the service maps wall time onto it), which is what lets a silent interface be noticed.
// Both are alwaysOn: a dead SPAN port matters while learning too. One anomaly per episode (the key holds its start).

import type { Ts } from "../../src/core/types.ts";
import type { Analyzer, AnalyzerContext, AnomalyDraft } from "../../src/detect/types.ts";

export interface HealthThresholds {
  noTrafficSeconds: number;
  dropsPercent: number;
  dropsMin: number;
  dropsWindowSeconds: number;
}

/** What the service knows about one capture interface (updated per frame and from tcpdump's statistics). */
export class InterfaceHealth {
  frames = 0;
  bytes = 0;
  /** Packet time of the last frame, or of the start when none came yet. */
  lastTs: Ts | undefined;
  received = 0;
  dropped = 0;
  silent = false;
  dropping = false;
  private windowStart: Ts | undefined;
  private windowReceived = 0;
  private windowDropped = 0;

  constructor(readonly name: string) {}

  /** Drop statistics over the window that just ended, and a new window from `ts`. */
  rollWindow(ts: Ts): { received: number; dropped: number } | undefined {
    if (this.windowStart === undefined) {
      this.windowStart = ts;
      this.windowReceived = this.received;
      this.windowDropped = this.dropped;
      return undefined;
    }
    const out = { received: this.received - this.windowReceived, dropped: this.dropped - this.windowDropped };
    this.windowStart = ts;
    this.windowReceived = this.received;
    this.windowDropped = this.dropped;
    return out;
  }

  windowAge(ts: Ts): number {
    return this.windowStart === undefined ? Number.POSITIVE_INFINITY : ts - this.windowStart;
  }
}

export class SensorHealthAnalyzer implements Analyzer {
  readonly name = "sensor";

  constructor(readonly interfaces: readonly InterfaceHealth[], public thresholds: HealthThresholds) {}

  observe(): undefined {
    return undefined;
  }

  tick(ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    let out: AnomalyDraft[] | undefined;
    const t = this.thresholds;
    for (const i of this.interfaces) {
      i.lastTs ??= ctx.ts;
      const idle = ctx.ts - i.lastTs;
      if (idle < t.noTrafficSeconds) i.silent = false;
      else if (!i.silent) {
        i.silent = true;
        (out ??= []).push({
          kind: "sensor.no-traffic",
          severity: "high",
          src: "",
          dst: "",
          protocol: "capture",
          summary: `No traffic on interface ${i.name} for ${Math.round(idle / 60)} min: the SPAN/mirror port, cable or capture may be down.`,
          attack: [],
          evidence: { interface: i.name, idle_seconds: Math.round(idle), threshold_seconds: t.noTrafficSeconds, frames_total: i.frames },
          key: `sensor.no-traffic|${i.name}|${i.lastTs.toFixed(0)}`,
          alwaysOn: true,
        });
      }
      if (i.windowAge(ctx.ts) >= t.dropsWindowSeconds) {
        const w = i.rollWindow(ctx.ts);
        if (w === undefined) continue;
        const pct = w.received > 0 ? (100 * w.dropped) / w.received : w.dropped > 0 ? 100 : 0;
        const over = w.dropped >= t.dropsMin && pct > t.dropsPercent;
        if (over && !i.dropping) {
          (out ??= []).push({
            kind: "sensor.capture-drops",
            severity: "medium",
            src: "",
            dst: "",
            protocol: "capture",
            summary: `Capture on ${i.name} dropped ${w.dropped} packets (${pct.toFixed(1)}%) in ${Math.round(t.dropsWindowSeconds)} s: detection is blind to part of the traffic.`,
            attack: [],
            evidence: { interface: i.name, dropped: w.dropped, received: w.received, percent: Math.round(pct * 10) / 10, threshold_percent: t.dropsPercent },
            key: `sensor.capture-drops|${i.name}|${ctx.ts.toFixed(0)}`,
            alwaysOn: true,
          });
        }
        i.dropping = over;
      }
    }
    return out;
  }

  exportModel(): Record<string, never> {
    return {};
  }

  importModel(): void {}
}
