// Command-line options shared by replay, capture and backtest that turn on the sensor (learning, detection, inventory,
// metrics, sinks): --config, --learn, --baseline, --save-baseline, --anomalies, --influx, --mqtt. Without any of them the
// commands only decode, and nothing waits on a network.

import { resolve } from "node:path";
import type { Counters } from "../../src/core/counters.ts";
import { loadSiteConfig } from "../../src/config/site.ts";
import { loadBaseline, saveBaseline } from "../../src/detect/baseline-store.ts";
import { parseDuration } from "../../src/detect/engine.ts";
import type { Mode } from "../../src/detect/types.ts";
import { Sensor } from "../sensor.ts";
import type { EventConsumer } from "./replay.ts";
import { UsageError } from "./types.ts";
import { DEFAULT_REPLAY_LEARN, REPLAY_RAW_RETENTION, type SensorOptionValues } from "./sensor-flags.ts";

export { sensorOptionSpecs, sensorOptionsUsage, wantsSensor, type SensorOptionValues } from "./sensor-flags.ts";

export interface BuiltSensor {
  sensor: Sensor;
  consumer: EventConsumer;
}

/** Builds the sensor from the options; the consumer closes it (flushes sinks) and saves the baseline if asked. */
export function buildSensor(v: SensorOptionValues, counters: Counters, log: (m: string) => void): BuiltSensor {
  if ((v.learn !== undefined || v["learn-until"] !== undefined) && v.baseline !== undefined) {
    throw new UsageError("--learn/--learn-until and --baseline exclude each other");
  }
  if (v.learn !== undefined && v["learn-until"] !== undefined) throw new UsageError("--learn and --learn-until exclude each other");
  let learnUntil: number | undefined;
  if (v["learn-until"] !== undefined) {
    const text = v["learn-until"].trim();
    learnUntil = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text) / 1000;
    if (!Number.isFinite(learnUntil)) throw new UsageError(`--learn-until: "${text}" is neither ISO 8601 nor epoch seconds`);
  }
  let learnSeconds: number;
  try {
    learnSeconds = parseDuration(v.learn ?? DEFAULT_REPLAY_LEARN);
  } catch (err) {
    throw new UsageError(`--learn: ${(err as Error).message}`);
  }
  if (v.mode !== undefined && v.mode !== "learning" && v.mode !== "detecting") {
    throw new UsageError(`--mode must be learning or detecting, not "${v.mode}"`);
  }
  const site = v.config !== undefined ? loadSiteConfig(v.config) : undefined;
  const baseline = v.baseline !== undefined ? loadBaseline(v.baseline) : undefined;
  const siteName = v.site ?? site?.site ?? baseline?.site ?? "default";
  const stateDir = resolve(v["state-dir"] ?? "state");
  const sensor = new Sensor({
    ...(site !== undefined ? { site } : {}),
    siteName,
    learnSeconds,
    ...(learnUntil !== undefined ? { learnUntil } : {}),
    ...(baseline !== undefined ? { baseline } : {}),
    ...(v.mode !== undefined ? { mode: v.mode as Mode } : {}),
    ...(v.anomalies !== undefined ? { anomaliesPath: v.anomalies } : {}),
    sinks: {
      stateDir,
      ...(v.influx !== undefined
        ? {
            influx: {
              url: v.influx,
              rawDuration: v["influx-retention"] ?? REPLAY_RAW_RETENTION,
              longDuration: v["influx-retention"] ?? REPLAY_RAW_RETENTION,
              ...(v["influx-password-file"] ? { passwordFile: v["influx-password-file"] } : {}),
              log,
            },
          }
        : {}),
      ...(v.mqtt !== undefined
        ? {
            mqtt: {
              url: v.mqtt,
              site: siteName,
              ...(v["mqtt-username-file"] ? { usernameFile: v["mqtt-username-file"] } : {}),
              ...(v["mqtt-password-file"] ? { passwordFile: v["mqtt-password-file"] } : {}),
              ...(v["mqtt-ca"] ? { ca: v["mqtt-ca"] } : {}),
              log,
            },
          }
        : {}),
    },
    counters,
    log,
    downsampleOnClose: true,
  });
  const consumer: EventConsumer = {
    onEvent: (e) => sensor.onEvent(e),
    close: async () => {
      await sensor.close();
      if (v["save-baseline"] !== undefined) saveBaseline(v["save-baseline"], sensor.detection.engine.baseline(siteName));
    },
  };
  return { sensor, consumer };
}

/** The closing table of a replay/backtest: anomalies by kind, records and alerts per hour of the detection period. */
export function formatKindTable(sensor: Sensor): string {
  const rows = sensor.summary();
  const e = sensor.detection.engine;
  const hours = e.detectionSeconds / 3600;
  const lines = [
    `anomalies by kind (detection period ${hours.toFixed(2)} h of packet time, mode ${e.mode}):`,
    `  ${"kind".padEnd(34)}${"records".padStart(8)}${"occurrences".padStart(13)}${"per hour".padStart(10)}`,
    ...rows.map((r) => `  ${r.kind.padEnd(34)}${String(r.records).padStart(8)}${String(r.occurrences).padStart(13)}${r.perHour.toFixed(2).padStart(10)}`),
  ];
  if (rows.length === 0) lines.push("  (none)");
  return lines.join("\n") + "\n";
}
