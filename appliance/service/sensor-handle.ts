// The service side of the API's SensorHandle (issue 5 §2): snapshots of status, assets, anomalies and metrics built
// from the service's public state, and the commands (ack, learn this, mode) — the API never sees the pipeline.

import { isoTime } from "../../src/detect/engine.ts";
import type { AcceptResult, HealthReport, MetricSample, SensorHandle, SinkStatus, StatusSnapshot } from "../api/handle.ts";
import type { SensorService } from "./service.ts";

export const VERSION = "0.1.0";

function sinkStatus(s: SensorService): SinkStatus[] {
  const out: SinkStatus[] = [];
  const sinks = s.sensor.sinks;
  if (sinks?.influx) out.push({ name: "influx", ...sinks.influx.counters() });
  if (sinks?.mqtt) out.push({ name: "mqtt", ...sinks.mqtt.counters() });
  return out;
}

export function status(s: SensorService): StatusSnapshot {
  const e = s.sensor.detection.engine;
  const p = s.pipeline;
  const mem = process.memoryUsage();
  const sinks = sinkStatus(s);
  return {
    site: s.sensor.siteName,
    version: VERSION,
    started_at: s.startedAt.toISOString(),
    uptime_s: Math.round((Date.now() - s.startedAt.getTime()) / 1000),
    mode: e.mode,
    learning: { progress: s.sensor.learningProgress(), learned_s: Math.round(e.learnedSeconds), duration_s: s.config.learnSeconds },
    packet_time: Number.isFinite(e.packetTime) ? isoTime(e.packetTime) : null,
    capture: {
      packets: p.packets,
      bytes: p.bytes,
      packets_per_s: s.packetsPerSecond,
      dropped: s.captures.reduce((n, c) => n + c.health.dropped, 0),
      interfaces: s.captures.map((c) => ({
        name: c.health.name,
        filter: c.filter,
        frames: c.health.frames,
        bytes: c.health.bytes,
        received: c.health.received,
        dropped: c.health.dropped,
        last_packet: c.health.frames > 0 && c.health.lastTs !== undefined ? isoTime(c.health.lastTs) : null,
        silent: c.health.silent,
        capturing: c.live !== undefined,
      })),
    },
    flows: { active: p.activeFlows, created: p.flowsCreated, evicted: s.counters.get("flow.evicted"), limit: p.limits.maxFlows },
    memory: { rss_bytes: mem.rss, heap_used_bytes: mem.heapUsed },
    assets: s.sensor.detection.inventory.size,
    anomalies: { stored: s.anomalies.size, unacknowledged: s.anomalies.countBySeverity() },
    sinks,
    spool: {
      depth: sinks.reduce((n, k) => n + k.depth, 0),
      dropped: sinks.reduce((n, k) => n + k.dropped, 0),
      append_failed: s.counters.get("sink.append.failed"),
    },
    state: { dir: s.config.stateDir, last_save: s.lastSave?.toISOString() ?? null, last_save_error: s.lastSaveError ?? null },
  };
}

export function health(s: SensorService): HealthReport {
  const problems: string[] = [];
  for (const c of s.captures) {
    if (c.live === undefined) problems.push(`capture on ${c.health.name} is not running`);
    else if (c.health.silent) problems.push(`no traffic on ${c.health.name}`);
    if (c.health.dropping) problems.push(`capture drops on ${c.health.name} above threshold`);
  }
  if (s.lastSaveError !== undefined) problems.push(`state not saved: ${s.lastSaveError}`);
  return { ok: problems.length === 0, problems };
}

function metrics(s: SensorService): MetricSample[] {
  const st = status(s);
  const out: MetricSample[] = [];
  const add = (name: string, type: MetricSample["type"], help: string, value: number, labels?: Record<string, string>): void => {
    out.push({ name, type, help, value, ...(labels ? { labels } : {}) });
  };
  add("otwatch_up", "gauge", "1 while the sensor runs", 1, { site: st.site, version: st.version });
  add("otwatch_packets_total", "counter", "Frames handed to the pipeline", st.capture.packets);
  add("otwatch_bytes_total", "counter", "Bytes of those frames on the wire", st.capture.bytes);
  add("otwatch_packets_per_second", "gauge", "Packet rate over the last sampling window", st.capture.packets_per_s);
  for (const i of st.capture.interfaces) {
    const l = { interface: i.name };
    add("otwatch_capture_frames_total", "counter", "Frames read from tcpdump per interface", i.frames, l);
    add("otwatch_capture_received_total", "counter", "Packets the kernel filter accepted (tcpdump)", i.received, l);
    add("otwatch_capture_dropped_total", "counter", "Packets dropped by the kernel or interface (tcpdump)", i.dropped, l);
    add("otwatch_capture_running", "gauge", "1 while tcpdump captures on the interface", i.capturing ? 1 : 0, l);
    add("otwatch_capture_silent", "gauge", "1 while the interface saw no traffic for health.no_traffic", i.silent ? 1 : 0, l);
  }
  add("otwatch_flows_active", "gauge", "Flows in the flow table", st.flows.active);
  add("otwatch_flows_limit", "gauge", "Flow table capacity (oldest evicted beyond it)", st.flows.limit);
  add("otwatch_flows_created_total", "counter", "Flows created", st.flows.created);
  add("otwatch_flows_evicted_total", "counter", "Flows evicted because the table was full (flood of new flows/SYNs)", st.flows.evicted);
  add("otwatch_memory_rss_bytes", "gauge", "Resident set size", st.memory.rss_bytes);
  add("otwatch_memory_heap_used_bytes", "gauge", "V8 heap in use", st.memory.heap_used_bytes);
  add("otwatch_learning_progress", "gauge", "Learning progress 0..1 (1 when detecting)", st.learning.progress);
  add("otwatch_detecting", "gauge", "1 when detecting, 0 when learning", st.mode === "detecting" ? 1 : 0);
  add("otwatch_assets", "gauge", "Assets in the inventory", st.assets);
  for (const [sev, n] of Object.entries(st.anomalies.unacknowledged)) {
    add("otwatch_anomalies_unacknowledged", "gauge", "Stored anomalies not acknowledged, by severity", n, { severity: sev });
  }
  for (const k of st.sinks) {
    const l = { sink: k.name };
    add("otwatch_sink_written_total", "counter", "Items the server acknowledged", k.written, l);
    add("otwatch_sink_dropped_total", "counter", "Items lost (spool full, rejected)", k.dropped, l);
    add("otwatch_sink_retries_total", "counter", "Failed delivery attempts", k.retries, l);
    add("otwatch_sink_spool_depth", "gauge", "Items waiting in the spool", k.depth, l);
  }
  add("otwatch_spool_append_failed_total", "counter", "Spool appends that failed (disk full)", st.spool.append_failed);
  add("otwatch_state_save_ok", "gauge", "1 when the last state save succeeded", st.state.last_save_error === null ? 1 : 0);
  for (const [name, value] of Object.entries(s.counters.snapshot())) {
    add("otwatch_pipeline_counter", "gauge", "Pipeline and detection counters by name (truncated frames, gaps, weird PDUs, internal errors …)", value, { name });
  }
  return out;
}

export function createSensorHandle(s: SensorService): SensorHandle {
  return {
    health: () => health(s),
    status: () => status(s),
    assets: () => s.sensor.detection.inventory.snapshot(),
    anomalies: (q) => s.anomalies.query(q),
    ack: (id) => {
      const a = s.anomalies.ack(id);
      if (a) s.log.info("anomaly acknowledged", { id });
      return a;
    },
    baseline: () => s.sensor.detection.engine.baseline(s.sensor.siteName),
    accept: (id): AcceptResult => {
      const e = s.sensor.detection.engine;
      if (!e.anomalies().some((a) => a.id === id)) return "unknown-anomaly";
      if (!e.accept(id)) return "not-learnable";
      s.log.info("anomaly accepted into the baseline", { id });
      s.save();
      return "accepted";
    },
    setMode: (mode) => s.setMode(mode),
    metrics: () => metrics(s),
  };
}
