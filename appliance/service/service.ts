// The live sensor service behind `otwatch run` (issue 5 §1, §5): tcpdump on each configured interface feeding one
// Pipeline, the Sensor (detection, inventory, metrics, sinks), the state folder, sensor health, the HTTP API.
// Packet time stays the only clock of detection; during silence the service moves it on by wall time (an idle second
// of wall clock = a second of packet time after the last packet) so flows expire, learning ends and silence is seen.
// A tcpdump that dies (interface gone, driver reset) is restarted after CAPTURE_RESTART_MS; the rest keeps running.

import { Counters } from "../../src/core/counters.ts";
import type { Frame } from "../../src/core/types.ts";
import { startLiveCapture, type LiveCapture } from "../../src/capture/live.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/index.ts";
import type { Mode } from "../../src/detect/types.ts";
import { parseDuration } from "../../src/detect/engine.ts";
import { Sensor } from "../sensor.ts";
import type { ServiceConfig } from "../config/service-config.ts";
import { restartNeeded } from "../config/service-config.ts";
import type { Logger } from "../log.ts";
import { AnomalyStore } from "./anomaly-store.ts";
import { InterfaceHealth, SensorHealthAnalyzer } from "./health.ts";
import { StateDir } from "./state.ts";
import { buildSinkOptions } from "./sinks.ts";

export const IDLE_ADVANCE_MS = 1000;
export const CAPTURE_RESTART_MS = 5000;
export const RATE_WINDOW_MS = 5000;

export interface Capture {
  readonly health: InterfaceHealth;
  readonly filter: string;
  readonly counters: Counters;
  live: LiveCapture | undefined;
  restartTimer?: NodeJS.Timeout | undefined;
  /** Received/dropped of the earlier tcpdump processes on this interface (each counts from zero). */
  baseReceived: number;
  baseDropped: number;
}

export class SensorService {
  readonly counters = new Counters();
  readonly pipeline: Pipeline;
  readonly sensor: Sensor;
  readonly state: StateDir;
  readonly anomalies: AnomalyStore;
  readonly captures: Capture[];
  readonly health: SensorHealthAnalyzer;
  readonly startedAt = new Date();
  lastSave: Date | undefined;
  lastSaveError: string | undefined;
  packetsPerSecond = 0;
  private timers: NodeJS.Timeout[] = [];
  private stopping = false;
  private seenPackets = -1;
  private anchorTs = 0;
  private anchorWall = 0;
  private rateSample = { at: Date.now(), packets: 0 };

  constructor(public config: ServiceConfig, readonly log: Logger) {
    this.state = new StateDir(config.stateDir);
    const loaded = this.state.load();
    for (const w of loaded.warnings) log.warn(w, { state_dir: config.stateDir });
    this.anomalies = new AnomalyStore(this.state.anomaliesPath, (m) => log.warn(m));
    this.captures = config.interfaces.map((i) => ({ health: new InterfaceHealth(i.name), filter: i.filter ?? "", counters: new Counters(), live: undefined, baseReceived: 0, baseDropped: 0 }));
    this.health = new SensorHealthAnalyzer(this.captures.map((c) => c.health), config.health);
    const resume = loaded.baseline !== undefined && loaded.mode === "learning";
    this.sensor = new Sensor({
      site: config.site,
      learnSeconds: config.learnSeconds,
      ...(loaded.baseline ? { baseline: loaded.baseline, resumeLearning: resume } : {}),
      ...(config.site.learning?.reemit ? { reemitSeconds: parseDuration(config.site.learning.reemit) } : {}),
      sinks: buildSinkOptions(config, (m) => log.warn(m)),
      counters: this.counters,
      captureDrops: () => this.captures.reduce((n, c) => n + c.health.dropped, 0),
      extraAnalyzers: [this.health],
      onAnomaly: (a) => {
        this.anomalies.add(a);
        log.info("anomaly", { id: a.id, kind: a.kind, severity: a.severity, src: a.src, dst: a.dst, count: a.count, summary: a.summary });
      },
      log: (m) => log.warn(m),
    });
    const sensor = this.sensor;
    const assets = loaded.inventory !== undefined ? sensor.detection.inventory.importSnapshot(loaded.inventory) : 0;
    this.pipeline = new Pipeline({ dissectors, onEvent: (e) => sensor.onEvent(e), counters: this.counters });
    sensor.attach(this.pipeline);
    const how = loaded.baseline === undefined ? "no baseline: learning" : resume ? "baseline saved while learning: learning resumes" : "baseline loaded: detecting";
    log.info(`state: ${how}`, { state_dir: config.stateDir, learn_seconds: config.learnSeconds, learned_seconds: loaded.baseline?.learn.learnedSeconds ?? 0, assets_loaded: assets });
  }

  /** Starts every capture (rejects when one cannot start: bad interface, filter or missing tcpdump) and the timers. */
  async start(): Promise<void> {
    await Promise.all(this.captures.map((c) => this.startCapture(c)));
    this.timers.push(setInterval(() => this.idleTick(), IDLE_ADVANCE_MS));
    this.timers.push(setInterval(() => this.sampleRate(), RATE_WINDOW_MS));
    this.timers.push(setInterval(() => this.save(), this.config.saveIntervalSeconds * 1000));
  }

  private async startCapture(c: Capture): Promise<void> {
    const h = c.health;
    const pipeline = this.pipeline;
    // One closure per capture, not per packet: per-interface counts for sensor health, then the shared pipeline.
    const onFrame = (f: Frame): void => {
      h.frames++;
      h.bytes += f.origLen;
      h.lastTs = f.ts;
      pipeline.handleFrame(f);
    };
    const live = startLiveCapture({
      iface: h.name,
      ...(c.filter ? { filter: c.filter } : {}),
      onFrame,
      counters: c.counters,
      // Long-running capture: batches from a 64 MiB kernel buffer (≤ 1 s late) instead of a pipe write per packet.
      immediate: false,
      ...(this.config.tcpdump ? { tcpdumpPath: this.config.tcpdump } : {}),
    });
    c.live = live;
    await live.ready;
    this.log.info("capturing", { interface: h.name, filter: c.filter });
    live.done.then(
      () => this.onCaptureEnd(c, undefined),
      (err: unknown) => this.onCaptureEnd(c, err instanceof Error ? err.message : String(err)),
    );
  }

  private onCaptureEnd(c: Capture, error: string | undefined): void {
    this.readStats(c);
    c.baseReceived = c.health.received;
    c.baseDropped = c.health.dropped;
    c.live = undefined;
    if (this.stopping) return;
    this.log.error(`capture on ${c.health.name} ended${error ? `: ${error}` : ""}; restarting in ${CAPTURE_RESTART_MS / 1000} s`, { interface: c.health.name });
    c.restartTimer = setTimeout(() => {
      c.restartTimer = undefined;
      if (this.stopping) return;
      this.startCapture(c).catch((err: unknown) => this.onCaptureEnd(c, err instanceof Error ? err.message : String(err)));
    }, CAPTURE_RESTART_MS);
  }

  private readStats(c: Capture): void {
    const s = c.live?.stats();
    if (!s) return;
    c.health.received = c.baseReceived + s.received;
    c.health.dropped = c.baseDropped + s.dropped;
  }

  /** Every second: statistics in, and packet time moved on by wall time when no packet came during the last second. */
  private idleTick(): void {
    for (const c of this.captures) this.readStats(c);
    const p = this.pipeline;
    const now = Date.now();
    if (p.packets !== this.seenPackets && p.packets > 0) {
      this.seenPackets = p.packets;
      this.anchorTs = p.lastTs;
      this.anchorWall = now;
      return;
    }
    const ts = p.packets > 0 ? this.anchorTs + (now - this.anchorWall) / 1000 : now / 1000;
    p.advance(ts);
    this.sensor.tick(ts);
  }

  private sampleRate(): void {
    const now = Date.now();
    const packets = this.pipeline.packets;
    const dt = (now - this.rateSample.at) / 1000;
    if (dt > 0) this.packetsPerSecond = Math.round(((packets - this.rateSample.packets) / dt) * 10) / 10;
    this.rateSample = { at: now, packets };
  }

  /** Baseline, mode and inventory to the state folder (atomic). A failure (disk full) is logged; detection goes on. */
  save(): boolean {
    const d = this.sensor.detection;
    try {
      this.state.save(d.engine.baseline(this.sensor.siteName), d.engine.mode, d.inventory.toJSON());
      this.lastSave = new Date();
      if (this.lastSaveError !== undefined) this.log.info("state saved again", { state_dir: this.config.stateDir });
      this.lastSaveError = undefined;
      return true;
    } catch (err) {
      const msg = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.message : String(err));
      if (this.lastSaveError === undefined) this.log.error(`cannot save the state (${msg}); the previous baseline stays intact, detection goes on`, { state_dir: this.config.stateDir });
      this.lastSaveError = msg;
      return false;
    }
  }

  setMode(mode: Mode): Mode {
    const e = this.sensor.detection.engine;
    if (e.mode !== mode) {
      e.setMode(mode);
      this.log.info(`mode switched to ${mode} by command`, { mode });
      this.save();
    }
    return e.mode;
  }

  /** SIGHUP: applies zones/conduits, log level and health thresholds; names what needs a restart. */
  reload(next: ServiceConfig): void {
    const prev = this.config;
    const needRestart = restartNeeded(prev, next);
    this.health.thresholds = next.health;
    const applied = ["log.level", "health"];
    if (JSON.stringify(prev.site.zones) !== JSON.stringify(next.site.zones) || JSON.stringify(prev.site.conduits) !== JSON.stringify(next.site.conduits)) {
      this.sensor.reconfigure(next.site);
      applied.push("zones", "conduits");
    }
    this.config = { ...next, interfaces: prev.interfaces, stateDir: prev.stateDir, sinks: prev.sinks, api: { ...prev.api, token_file: next.api.token_file } };
    this.log.info("configuration reloaded", { applied, ...(needRestart.length > 0 ? { needs_restart: needRestart } : {}) });
    if (needRestart.length > 0) this.log.warn(`changed settings need a restart to take effect: ${needRestart.join(", ")} (systemctl restart otwatch)`);
    this.log.level = next.logLevel;
  }

  /** Graceful stop: captures end (tcpdump flushes), flows finish, state saved, metrics flushed and sinks closed. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    for (const t of this.timers) clearInterval(t);
    for (const c of this.captures) clearTimeout(c.restartTimer);
    await Promise.all(this.captures.map(async (c) => {
      const live = c.live;
      if (live) {
        await live.stop();
        this.readStats(c);
      }
    }));
    this.pipeline.finish();
    this.save();
    await this.sensor.close();
    this.log.info("stopped", { packets: this.pipeline.packets, baseline: this.state.baselines.path });
  }
}
