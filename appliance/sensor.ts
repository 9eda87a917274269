// The sensor: everything downstream of the pipeline, composed once for replay, live capture and the service. It feeds
// every event to learning/detection (src/detect), the asset inventory and the metrics aggregator (src/metrics), and
// sends anomalies to the anomaly JSONL file, MQTT and InfluxDB, and metric points to InfluxDB (src/sinks). Protocol
// analyzers and metric contributors come from protocols/index.ts, so a new protocol needs no change here.

import { appendFileSync, writeFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import type { Counters } from "../src/core/counters.ts";
import type { EventBase, Ts } from "../src/core/types.ts";
import type { SiteConfig } from "../src/config/site.ts";
import { createDetection, summarizeByKind, type Detection, type KindSummary } from "../src/detect/setup.ts";
import type { Baseline } from "../src/detect/baseline-store.ts";
import type { Analyzer, Anomaly, Mode } from "../src/detect/types.ts";
import { MetricsAggregator, type SensorSnapshot } from "../src/metrics/aggregator.ts";
import { openSinks, type Sinks, type SinksOptions } from "../src/sinks/index.ts";
import type { Pipeline } from "../src/pipeline.ts";
import { createAnalyzers, createMetricContributors } from "../protocols/index.ts";
import { createBehaviourAnalyzers } from "../src/detect/behaviour/index.ts";

export interface SensorOptions {
  site?: SiteConfig;
  /** Site name for MQTT topics and the baseline (default: the config's, else "default"). */
  siteName?: string;
  /** Learning period in seconds of packet time (ignored when a baseline is given: detection starts at once). */
  learnSeconds: number;
  /** Learning ends at this packet time instead (epoch seconds; replays of labelled captures). */
  learnUntil?: number;
  baseline?: Baseline;
  mode?: Mode;
  /** Anomaly JSONL output (one flat record per line, also the MQTT payload). */
  anomaliesPath?: string;
  /** Sinks: omitted → none, nothing touches the network. */
  sinks?: Omit<SinksOptions, "stateDir"> & { stateDir: string };
  /** Re-emit period of aggregated anomalies (seconds of packet time); 0 = first occurrence only. */
  reemitSeconds?: number;
  counters: Counters;
  /** Capture drops so far (live capture), for sensor health. */
  captureDrops?: () => number;
  onAnomaly?: (a: Anomaly) => void;
  log?: (msg: string) => void;
  /** After the final flush at close, fill InfluxDB's long retention once (replays of captures older than the CQ window). */
  downsampleOnClose?: boolean;
  /** Analyzers added after the protocol and behaviour ones (the service's sensor-health checks). */
  extraAnalyzers?: readonly Analyzer[];
  /**
   * With a baseline saved while learning (service restart): keep learning from the first packet on, with the models
   * loaded, until `learnSeconds` in all are learned, instead of detecting at once.
   */
  resumeLearning?: boolean;
}

/** Wall-clock milliseconds between two RSS readings for the sensor metrics (see Sensor.snapshot). */
export const RSS_READ_INTERVAL_MS = 1000;

/** Line-buffered anomaly writer: anomalies are rare, so each goes out at once (a crash loses none already reported). */
class AnomalyFile {
  constructor(private readonly path: string) {
    writeFileSync(path, "");
  }
  write(a: Anomaly): void {
    appendFileSync(this.path, JSON.stringify(a) + "\n");
  }
}

export class Sensor {
  private current: Detection;
  private resumePending: boolean;
  readonly aggregator: MetricsAggregator;
  readonly sinks: Sinks | undefined;
  readonly siteName: string;
  private pipeline: Pipeline | undefined;
  private readonly anomalyFile: AnomalyFile | undefined;
  private readonly published = new Map<string, string>();
  private lastMode: Mode | undefined;
  private lastStatusTs = Number.NEGATIVE_INFINITY;
  private sinkFailing = false;
  /** Last RSS reading and its wall-clock time (ms), see snapshot(). */
  private rss = 0;
  private rssReadAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: SensorOptions) {
    this.siteName = opts.siteName ?? opts.site?.site ?? "default";
    this.anomalyFile = opts.anomaliesPath !== undefined ? new AnomalyFile(opts.anomaliesPath) : undefined;
    this.sinks = opts.sinks !== undefined && (opts.sinks.influx !== undefined || opts.sinks.mqtt !== undefined)
      ? openSinks(opts.sinks)
      : undefined;
    const resumed = opts.baseline !== undefined && opts.resumeLearning === true ? opts.baseline.learn.learnedSeconds : 0;
    this.current = this.createDetection(opts.site, opts.baseline, opts.mode, resumed);
    this.resumePending = opts.baseline !== undefined && opts.resumeLearning === true;
    this.aggregator = new MetricsAggregator({
      zoneOf: (ip) => this.current.zones.zoneOf(ip),
      onBatch: (points) => {
        this.guardSinks(() => this.sinks?.writePoints(points));
        this.publishStatusAndAssets();
      },
      contributors: createMetricContributors(),
      sensor: () => this.snapshot(),
      // Kept by the inventory and rebuilt only when an asset or a zone changed (most windows reuse the last rows).
      assets: () => this.detection.inventory.summaries(),
      counters: opts.counters,
    });
  }

  get detection(): Detection {
    return this.current;
  }

  /** `learned`: seconds already learned when learning resumes; it runs only for the rest of the period. */
  private createDetection(site: SiteConfig | undefined, baseline: Baseline | undefined, mode: Mode | undefined, learned: number): Detection {
    const o = this.opts;
    return createDetection({
      ...(site !== undefined ? { site } : {}),
      learnSeconds: Math.max(0, o.learnSeconds - learned),
      ...(o.learnUntil !== undefined ? { learnUntil: o.learnUntil } : {}),
      analyzers: [...createAnalyzers(), ...createBehaviourAnalyzers({ conduits: site?.conduits ?? [], counters: o.counters }), ...(o.extraAnalyzers ?? [])],
      onAnomaly: (a) => this.onAnomaly(a),
      ...(baseline !== undefined ? { baseline } : {}),
      ...(mode !== undefined ? { mode } : {}),
      ...(o.reemitSeconds !== undefined ? { reemitSeconds: o.reemitSeconds } : {}),
      counters: o.counters,
    });
  }

  /**
   * New zones/conduits while running (SIGHUP): detection is rebuilt from the current baseline with the new site config,
   * in the same mode (learning goes on for what is left). The inventory and ongoing anomaly aggregates start afresh.
   */
  reconfigure(site: SiteConfig): void {
    const old = this.current.engine;
    const now = old.packetTime;
    const learning = old.mode === "learning";
    const baseline = old.baseline(this.siteName);
    this.opts.site = site;
    this.current = this.createDetection(site, baseline, undefined, learning ? baseline.learn.learnedSeconds : 0);
    this.resumePending = learning;
    if (learning && Number.isFinite(now)) this.resumeAt(now);
  }

  /** A saved learning baseline was loaded (mode detecting): learning goes on from packet time `ts`. */
  private resumeAt(ts: Ts): void {
    this.resumePending = false;
    this.current.tick(ts);
    this.current.engine.setMode("learning");
  }

  /** The pipeline whose packets/bytes/flows feed sensor health. */
  attach(pipeline: Pipeline): void {
    this.pipeline = pipeline;
  }

  onEvent(e: EventBase): void {
    if (this.resumePending) this.resumeAt(e.ts);
    this.detection.observe(e);
    this.aggregator.observe(e);
  }

  /** Packet time advanced without events (live mode idle timers). */
  tick(ts: Ts): void {
    if (this.resumePending) this.resumeAt(ts);
    this.detection.tick(ts);
    this.aggregator.tick(ts);
  }

  get mode(): Mode {
    return this.detection.engine.mode;
  }

  learningProgress(): number {
    const e = this.detection.engine;
    if (e.mode === "detecting" && !this.resumePending) return 1;
    const total = this.opts.learnUntil !== undefined && e.firstPacketTs !== undefined ? this.opts.learnUntil - e.firstPacketTs : this.opts.learnSeconds;
    return total > 0 ? Math.min(1, e.learnedSeconds / total) : 1;
  }

  /** Anomalies by kind with alerts per hour of the detection period (the replay's closing table, the backtest). */
  summary(): KindSummary[] {
    const e = this.detection.engine;
    return summarizeByKind(e.anomalies(), e.detectionSeconds);
  }

  /** Closes the open metric window, delivers what the sinks hold (bounded wait) and closes them. */
  async close(): Promise<void> {
    this.aggregator.flush();
    this.publishStatusAndAssets(true);
    if (this.sinks !== undefined) {
      const ok = await this.sinks.flush(30_000);
      if (!ok) this.opts.log?.("otwatch: sinks did not deliver everything; the rest waits in the spool");
      else if (this.opts.downsampleOnClose === true) {
        // Best effort: the long retention policy may refuse points older than itself; the raw data is already there.
        await this.sinks.influx?.downsampleAll().catch((err: unknown) => {
          this.opts.log?.(`otwatch: downsampling into the long retention policy failed: ${err instanceof Error ? err.message : String(err)}`);
        });
      }
      await this.sinks.close();
    }
  }

  private onAnomaly(a: Anomaly): void {
    this.anomalyFile?.write(a);
    this.aggregator.observeAnomaly(a);
    this.guardSinks(() => this.sinks?.publishAnomaly(a));
    this.opts.onAnomaly?.(a);
  }

  /**
   * A spool append that fails (disk full: ENOSPC, EIO) must not stop detection: the item is lost, counted
   * (`sink.append.failed`) and logged once per failure streak; the sinks keep delivering what they hold.
   */
  private guardSinks(fn: () => void): void {
    try {
      fn();
      if (this.sinkFailing) {
        this.sinkFailing = false;
        this.opts.log?.("otwatch: spool writable again");
      }
    } catch (err) {
      this.opts.counters.add("sink.append.failed");
      if (!this.sinkFailing) {
        this.sinkFailing = true;
        const code = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
        this.opts.log?.(`otwatch: cannot append to the spool (${code}): metrics and anomaly messages are lost until it is writable; detection goes on`);
      }
    }
  }

  private snapshot(): SensorSnapshot {
    const p = this.pipeline;
    // RSS comes from /proc and costs ~150 µs when memory moved since the last read (a fixed cost per metric window that
    // dominated fast replays): read at most once per wall-clock second. Live windows are 10 s apart, so every live point
    // has a fresh reading; a replay closing many windows a second repeats one up to 1 s old. The heap figure is cheap.
    const now = performance.now();
    if (now - this.rssReadAt >= RSS_READ_INTERVAL_MS) {
      this.rss = process.memoryUsage.rss();
      this.rssReadAt = now;
    }
    return {
      packets: p?.packets ?? 0,
      bytes: p?.bytes ?? 0,
      captureDrops: this.opts.captureDrops?.() ?? 0,
      flowsActive: p?.activeFlows ?? 0,
      memoryRss: this.rss,
      memoryHeap: getHeapStatistics().used_heap_size,
      learningProgress: this.learningProgress(),
      spoolDepth: this.sinks?.depth() ?? 0,
      droppedPoints: this.sinks?.dropped() ?? 0,
    };
  }

  /** Retained MQTT status on mode change (and at most once a minute of packet time); asset summaries when they change. */
  private publishStatusAndAssets(force = false): void {
    const sinks = this.sinks;
    if (sinks?.mqtt === undefined) return;
    const e = this.detection.engine;
    if (force || e.mode !== this.lastMode || e.packetTime - this.lastStatusTs >= 60) {
      this.lastMode = e.mode;
      this.lastStatusTs = e.packetTime;
      this.guardSinks(() => sinks.setStatus({ mode: e.mode, learningProgress: this.learningProgress() }));
    }
    // Only assets that may have changed since the last window are compared with what was published (all at first).
    for (const a of this.detection.inventory.changedRecords()) {
      const flat = {
        ip: a.ip,
        mac: a.macs[0]?.mac ?? "",
        vendor: a.vendor ?? "unknown",
        zone: a.zone,
        level: a.level ?? -1,
        roles: a.roles.join(","),
        services: a.services.join(","),
        first_seen: a.first_seen,
        modbus_units: a.modbus ? [...a.modbus.client_units, ...a.modbus.server_units].join(",") : "",
        opcua_application_uri: a.opcua?.application_uri ?? "",
      };
      const text = JSON.stringify(flat);
      if (this.published.get(a.ip) === text) continue;
      this.published.set(a.ip, text);
      this.guardSinks(() => sinks.publishAsset({ ...flat, last_seen: a.last_seen }));
    }
  }
}
