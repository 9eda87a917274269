// Turns the event stream into metric points per window of PACKET time (issue 4 §1–2). Protocol-agnostic: traffic comes
// from flow.start/flow.end, protocol measurements from contributors passed in by the composer (protocols/<p>/metrics.ts;
// src/ never imports protocols/), plus anomalies, the asset inventory and sensor health.
//
// Windows: [k·W, (k+1)·W) with W = METRIC_WINDOW_S. An event whose ts reaches the next window closes the current one:
// its points (time = window start) go out as one batch through onBatch. Events older than the open window (late
// timeouts, reordered captures) count in the open window. Empty windows produce nothing. flush() closes the open window.
// Traffic: a flow's packets/bytes are attributed to the window of its flow.end (the event carries the totals).
import type { Counters } from "../core/counters.ts";
import type { EventBase, FlowEndEvent, FlowStartEvent, Ts } from "../core/types.ts";
import type { Anomaly, ZoneInfo } from "../detect/types.ts";
import { ANOMALIES, ASSETS, METRIC_WINDOW_S, SENSOR, TRAFFIC, toMicros, type MetricPoint } from "./schema.ts";
import { TagLimiter } from "./window-stats.ts";

export interface ContributorContext {
  zoneOf(ip: string): ZoneInfo;
  /** Caps a host-derived tag value: `space` names the tag ("modbus.channel"), beyond MAX_TAG_VALUES → "other". */
  limit(space: string, value: string): string;
}

/** A protocol's share of the metrics: folds its events into the open window, hands out that window's points. */
export interface MetricContributor {
  readonly name: string;
  /** Every event goes to every contributor; each ignores the types it does not know. */
  observe(event: EventBase, ctx: ContributorContext): void;
  /** The open window closed: its points timestamped `timeUs` (the window start), and its state reset. */
  drain(timeUs: number): MetricPoint[];
}

export interface AssetSummary {
  readonly ip: string;
  readonly zone: string;
  readonly role: string;
  readonly vendor: string;
  /** Packet time of first sighting. */
  readonly firstSeen: Ts;
}

/** Sensor state read at each window close; packets/bytes/captureDrops are cumulative since start. */
export interface SensorSnapshot {
  readonly packets: number;
  readonly bytes: number;
  readonly captureDrops: number;
  readonly flowsActive: number;
  readonly memoryRss: number;
  readonly memoryHeap: number;
  readonly learningProgress: number;
  readonly spoolDepth: number;
  readonly droppedPoints: number;
}

export interface AggregatorOptions {
  zoneOf(ip: string): ZoneInfo;
  /** Receives each closed window's points (and the anomaly points since the previous batch). */
  onBatch(points: MetricPoint[]): void;
  contributors?: readonly MetricContributor[];
  sensor?: () => SensorSnapshot;
  assets?: () => Iterable<AssetSummary>;
  counters?: Counters;
  windowS?: number;
}

interface TrafficAcc {
  srcZone: string;
  dstZone: string;
  protocol: string;
  packets: number;
  bytes: number;
  toServer: number;
  toClient: number;
  flows: number;
  started: number;
  rejected: number;
}

export class MetricsAggregator {
  private readonly windowS: number;
  private readonly contributors: readonly MetricContributor[];
  private readonly limiters = new Map<string, TagLimiter>();
  private readonly ctx: ContributorContext;
  /** Open window start (seconds), NaN before the first event. */
  private open = Number.NaN;
  private events = 0;
  private traffic = new Map<string, TrafficAcc>();
  private anomalyPoints: MetricPoint[] = [];
  /** Last anomaly timestamp per series, to keep two anomalies of one series at one instant from overwriting. */
  private readonly lastAnomalyUs = new Map<string, number>();
  private prevSensor: { snap: SensorSnapshot; end: number } | undefined;

  constructor(private readonly opts: AggregatorOptions) {
    this.windowS = opts.windowS ?? METRIC_WINDOW_S;
    this.contributors = opts.contributors ?? [];
    this.ctx = { zoneOf: (ip) => opts.zoneOf(ip), limit: (space, value) => this.limit(space, value) };
  }

  observe(event: EventBase): void {
    this.advance(event.ts);
    this.events++;
    if (event.type === "flow.end") this.addFlowEnd(event as FlowEndEvent);
    else if (event.type === "flow.start") this.addFlowStart(event as FlowStartEvent);
    for (const c of this.contributors) c.observe(event, this.ctx);
  }

  /** One point per anomaly record at its packet time; goes out with the next batch. */
  observeAnomaly(a: Anomaly): void {
    const tags = {
      kind: a.kind,
      severity: a.severity,
      protocol: a.protocol || "none",
      src_zone: a.src_zone || "unknown",
      dst_zone: a.dst_zone || "unknown",
    };
    const key = Object.values(tags).join("\0");
    let time = Math.round(Date.parse(a.ts) * 1000);
    if (!Number.isFinite(time)) time = toMicros(Number.isNaN(this.open) ? 0 : this.open);
    const last = this.lastAnomalyUs.get(key);
    if (last !== undefined && time <= last) time = last + 1;
    this.lastAnomalyUs.set(key, time);
    if (this.lastAnomalyUs.size > 10_000) this.lastAnomalyUs.clear();
    this.anomalyPoints.push({
      measurement: ANOMALIES.name,
      tags,
      fields: { id: a.id, summary: a.summary, src: a.src, dst: a.dst, attack: a.attack, count: a.count },
      time,
    });
  }

  /** Packet time advanced without an event (live mode idle ticks): closes the open window when ts has left it. */
  tick(ts: Ts): void {
    this.advance(ts);
  }

  /** Closes the open window (end of a replay) and emits pending anomaly points. */
  flush(): void {
    if (!Number.isNaN(this.open)) this.close();
    else if (this.anomalyPoints.length > 0) this.emit([]);
    this.open = Number.NaN;
  }

  private advance(ts: Ts): void {
    const start = Math.floor(ts / this.windowS) * this.windowS;
    if (Number.isNaN(this.open)) this.open = start;
    else if (start > this.open) {
      this.close();
      this.open = start;
    }
  }

  private limit(space: string, value: string): string {
    let l = this.limiters.get(space);
    if (!l) this.limiters.set(space, (l = new TagLimiter()));
    const out = l.map(value);
    if (out !== value) this.opts.counters?.add("metrics.tag.overflow");
    return out;
  }

  private trafficAcc(src: string, dst: string, protocol: string): TrafficAcc {
    const srcZone = this.opts.zoneOf(src).name;
    const dstZone = this.opts.zoneOf(dst).name;
    const key = `${srcZone}\0${dstZone}\0${protocol}`;
    let acc = this.traffic.get(key);
    if (!acc) {
      acc = { srcZone, dstZone, protocol, packets: 0, bytes: 0, toServer: 0, toClient: 0, flows: 0, started: 0, rejected: 0 };
      this.traffic.set(key, acc);
    }
    return acc;
  }

  private addFlowEnd(e: FlowEndEvent): void {
    const acc = this.trafficAcc(e.src, e.dst, e.service ?? e.transport);
    acc.packets += e.pktsToServer + e.pktsToClient;
    acc.toServer += e.bytesToServer;
    acc.toClient += e.bytesToClient;
    acc.bytes += e.bytesToServer + e.bytesToClient;
    acc.flows++;
    if (e.rejected) acc.rejected++;
  }

  private addFlowStart(e: FlowStartEvent): void {
    this.trafficAcc(e.src, e.dst, e.service ?? e.transport).started++;
  }

  private close(): void {
    const timeUs = toMicros(this.open);
    const points: MetricPoint[] = [];
    for (const t of this.traffic.values()) {
      points.push({
        measurement: TRAFFIC.name,
        tags: { src_zone: t.srcZone, dst_zone: t.dstZone, protocol: t.protocol },
        fields: {
          packets: t.packets,
          bytes: t.bytes,
          bytes_to_server: t.toServer,
          bytes_to_client: t.toClient,
          flows: t.flows,
          flows_started: t.started,
          flows_rejected: t.rejected,
        },
        time: timeUs,
      });
    }
    this.traffic = new Map();
    for (const c of this.contributors) for (const p of c.drain(timeUs)) points.push(p);
    this.addAssetPoints(points, timeUs);
    this.addSensorPoint(points, timeUs);
    this.events = 0;
    this.opts.counters?.add("metrics.windows");
    this.emit(points);
  }

  private emit(points: MetricPoint[]): void {
    const all = this.anomalyPoints.length > 0 ? points.concat(this.anomalyPoints) : points;
    this.anomalyPoints = [];
    if (all.length === 0) return;
    this.opts.counters?.add("metrics.points", all.length);
    this.opts.onBatch(all);
  }

  private addAssetPoints(points: MetricPoint[], timeUs: number): void {
    if (!this.opts.assets) return;
    const end = this.open + this.windowS;
    const groups = new Map<string, { zone: string; role: string; vendor: string; count: number; fresh: number }>();
    for (const a of this.opts.assets()) {
      const vendor = this.limit("assets.vendor", a.vendor || "unknown");
      const key = `${a.zone}\0${a.role}\0${vendor}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { zone: a.zone, role: a.role || "unknown", vendor, count: 0, fresh: 0 }));
      g.count++;
      if (a.firstSeen >= this.open && a.firstSeen < end) g.fresh++;
    }
    for (const g of groups.values()) {
      points.push({
        measurement: ASSETS.name,
        tags: { zone: g.zone || "unknown", role: g.role, vendor: g.vendor },
        fields: { count: g.count, new: g.fresh },
        time: timeUs,
      });
    }
  }

  private addSensorPoint(points: MetricPoint[], timeUs: number): void {
    if (!this.opts.sensor) return;
    const snap = this.opts.sensor();
    const end = this.open + this.windowS;
    const prev = this.prevSensor;
    const span = prev ? Math.max(this.windowS, end - prev.end) : this.windowS;
    const delta = (k: "packets" | "bytes" | "captureDrops"): number => Math.max(0, snap[k] - (prev ? prev.snap[k] : 0));
    this.prevSensor = { snap, end };
    points.push({
      measurement: SENSOR.name,
      tags: {},
      fields: {
        packets_per_s: delta("packets") / span,
        bytes_per_s: delta("bytes") / span,
        capture_drops: delta("captureDrops"),
        flows_active: snap.flowsActive,
        events: this.events,
        memory_rss: snap.memoryRss,
        memory_heap: snap.memoryHeap,
        learning_progress: Math.min(1, Math.max(0, snap.learningProgress)),
        spool_depth: snap.spoolDepth,
        dropped_points: snap.droppedPoints,
      },
      time: timeUs,
    });
  }
}
