// The API's only view of the running sensor (issue 5 §2, STYLE "the API reads snapshots and sends commands; it never
// reaches into pipeline internals"): plain snapshots out, a few commands in. The service implements it; tests can too.

import type { AssetRecord } from "../../src/assets/inventory.ts";
import type { Baseline } from "../../src/detect/baseline-store.ts";
import type { Mode, Severity } from "../../src/detect/types.ts";
import type { AnomalyQuery, StoredAnomaly } from "../service/anomaly-store.ts";

export interface InterfaceStatus {
  name: string;
  filter: string;
  frames: number;
  bytes: number;
  /** tcpdump's figures: packets the kernel filter accepted, and dropped (kernel buffer + interface). */
  received: number;
  dropped: number;
  /** ISO time of the last frame, or null. */
  last_packet: string | null;
  silent: boolean;
  capturing: boolean;
}

export interface SinkStatus {
  name: "influx" | "mqtt";
  written: number;
  spooled: number;
  dropped: number;
  retries: number;
  depth: number;
}

export interface StatusSnapshot {
  site: string;
  version: string;
  started_at: string;
  uptime_s: number;
  mode: Mode;
  learning: { progress: number; learned_s: number; duration_s: number };
  /** ISO packet time the detection engine is at. */
  packet_time: string | null;
  capture: { packets: number; bytes: number; packets_per_s: number; dropped: number; interfaces: InterfaceStatus[] };
  flows: { active: number; created: number; evicted: number; limit: number };
  memory: { rss_bytes: number; heap_used_bytes: number };
  assets: number;
  anomalies: { stored: number; unacknowledged: Record<Severity, number> };
  sinks: SinkStatus[];
  spool: { depth: number; dropped: number; append_failed: number };
  state: { dir: string; last_save: string | null; last_save_error: string | null };
}

export interface HealthReport {
  ok: boolean;
  /** Why not ok (empty when ok). */
  problems: string[];
}

export type MetricType = "counter" | "gauge";

export interface MetricSample {
  name: string;
  help: string;
  type: MetricType;
  value: number;
  labels?: Readonly<Record<string, string>>;
}

export type AcceptResult = "accepted" | "unknown-anomaly" | "not-learnable";

export interface SensorHandle {
  health(): HealthReport;
  status(): StatusSnapshot;
  assets(): AssetRecord[];
  anomalies(q: AnomalyQuery): { total: number; items: StoredAnomaly[] };
  ack(id: string): StoredAnomaly | undefined;
  baseline(): Baseline;
  accept(anomalyId: string): AcceptResult;
  setMode(mode: Mode): Mode;
  metrics(): MetricSample[];
}
