// One entry point for the composer (appliance CLI `--influx URL --mqtt URL`, config file): builds the sinks that were
// asked for, with their spools under one state folder, and fans out points, anomalies, status and assets. With neither
// URL it builds nothing and nothing touches the network (issue 4 §6).
import { join } from "node:path";
import type { Anomaly } from "../detect/types.ts";
import type { MetricPoint } from "../metrics/schema.ts";
import type { SinkCounters } from "./delivery.ts";
import { InfluxSink, type InfluxSinkOptions } from "./influx-sink.ts";
import { MqttSink, type FlatValue, type MqttSinkOptions, type SensorStatus } from "./mqtt-sink.ts";

export { InfluxSink, MqttSink };
export type { InfluxSinkOptions, MqttSinkOptions, SinkCounters };

export interface SinksOptions {
  /** State folder: spools go to <stateDir>/spool/influx and <stateDir>/spool/mqtt. */
  stateDir: string;
  influx?: Omit<InfluxSinkOptions, "spoolDir"> & { spoolDir?: string };
  mqtt?: Omit<MqttSinkOptions, "spoolDir"> & { spoolDir?: string };
}

export interface Sinks {
  readonly influx: InfluxSink | undefined;
  readonly mqtt: MqttSink | undefined;
  /** For MetricsAggregator's onBatch. */
  writePoints(points: readonly MetricPoint[]): void;
  publishAnomaly(a: Anomaly): void;
  publishAsset(asset: { readonly ip: string } & Readonly<Record<string, FlatValue>>): void;
  setStatus(s: Partial<SensorStatus>): void;
  /** Spool depth and drops summed over the sinks, for the sensor health point. */
  depth(): number;
  dropped(): number;
  /** True when both delivered everything within timeoutMs. */
  flush(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

export function openSinks(o: SinksOptions): Sinks {
  const influx = o.influx ? new InfluxSink({ ...o.influx, spoolDir: o.influx.spoolDir ?? join(o.stateDir, "spool", "influx") }) : undefined;
  const mqtt = o.mqtt ? new MqttSink({ ...o.mqtt, spoolDir: o.mqtt.spoolDir ?? join(o.stateDir, "spool", "mqtt") }) : undefined;
  const all = [influx, mqtt].filter((s): s is InfluxSink | MqttSink => s !== undefined);
  return {
    influx,
    mqtt,
    writePoints: (points) => influx?.write(points),
    publishAnomaly: (a) => mqtt?.publishAnomaly(a),
    publishAsset: (asset) => mqtt?.publishAsset(asset),
    setStatus: (s) => mqtt?.setStatus(s),
    depth: () => all.reduce((n, s) => n + s.counters().depth, 0),
    dropped: () => all.reduce((n, s) => n + s.counters().dropped, 0),
    async flush(timeoutMs) {
      const ok = await Promise.all(all.map((s) => s.flush(timeoutMs)));
      return ok.every(Boolean);
    },
    async close() {
      await Promise.all(all.map((s) => s.close()));
    },
  };
}
