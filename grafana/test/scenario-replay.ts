// Test wiring for the dashboard panel test (issue 4 §4): replays a labelled capture through the pipeline with learning
// and detection (createDetection + the Modbus, OPC UA and behaviour analyzers), the metrics aggregator and the InfluxDB
// and MQTT sinks — the composition `otwatch replay --config site.yaml --learn … --influx URL --mqtt URL` is meant to
// perform (src/sinks/README.md "Wiring"). Built from the same building blocks because replay.ts does not wire
// detection and sinks yet; swap this for runReplay once it does.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { EventRun } from "../../appliance/commands/replay.ts";
import { createModbusAnalyzer } from "../../protocols/modbus/detectors.ts";
import { createModbusMetrics } from "../../protocols/modbus/metrics.ts";
import { createOpcuaAnalyzer } from "../../protocols/opcua/detectors.ts";
import { createOpcuaMetrics } from "../../protocols/opcua/metrics.ts";
import type { AssetRecord } from "../../src/assets/inventory.ts";
import { readCapture } from "../../src/capture/source.ts";
import { loadSiteConfig } from "../../src/config/site.ts";
import type { EventBase } from "../../src/core/types.ts";
import { createBehaviourAnalyzers } from "../../src/detect/behaviour/index.ts";
import { createDetection, type Detection } from "../../src/detect/setup.ts";
import type { Anomaly, Mode } from "../../src/detect/types.ts";
import { MetricsAggregator, type AssetSummary } from "../../src/metrics/aggregator.ts";
import { openSinks } from "../../src/sinks/index.ts";

export interface ScenarioReplayOptions {
  pcap: string;
  siteYaml: string;
  learnSeconds: number;
  influxUrl: string;
  mqttUrl: string;
  stateDir: string;
}

export interface ScenarioReplayResult {
  site: string;
  packets: number;
  firstTs: number;
  lastTs: number;
  anomalies: Anomaly[];
  points: number;
  assets: number;
}

/** One role per asset for the `assets` measurement: servers first (what the asset is for the plant), then clients. */
export function primaryRole(roles: readonly string[]): string {
  const server = roles.find((r) => r.endsWith("-server"));
  return server ?? roles[0] ?? "host";
}

function summary(a: AssetRecord): AssetSummary {
  return { ip: a.ip, zone: a.zone, role: primaryRole(a.roles), vendor: a.vendor ?? "unknown", firstSeen: Date.parse(a.first_seen) / 1000 };
}

export async function replayScenario(o: ScenarioReplayOptions): Promise<ScenarioReplayResult> {
  const site = loadSiteConfig(o.siteYaml);
  const log = (): void => undefined;
  // Captures older than the raw retention (30 d) would be refused by InfluxDB: keep raw points forever here.
  const sinks = openSinks({
    stateDir: o.stateDir,
    influx: { url: `${o.influxUrl}/otwatch`, rawDuration: "INF", log },
    mqtt: { url: o.mqttUrl, site: site.site, log, reconnectPeriodMs: 200 },
  });
  const anomalies: Anomaly[] = [];
  let points = 0;
  let run: EventRun | undefined;
  let agg: MetricsAggregator | undefined;
  const published = new Set<string>();
  let mode: Mode = "learning";

  const detection: Detection = createDetection({
    site,
    learnSeconds: o.learnSeconds,
    analyzers: [createModbusAnalyzer(), createOpcuaAnalyzer(), ...createBehaviourAnalyzers()],
    onAnomaly: (a) => {
      anomalies.push(a);
      agg?.observeAnomaly(a);
      sinks.publishAnomaly(a);
    },
  });
  agg = new MetricsAggregator({
    zoneOf: (ip) => detection.zones.zoneOf(ip),
    onBatch: (p) => {
      points += p.length;
      sinks.writePoints(p);
    },
    contributors: [createModbusMetrics(), createOpcuaMetrics()],
    sensor: () => {
      const mem = process.memoryUsage();
      const e = detection.engine;
      return {
        packets: run?.pipeline.packets ?? 0,
        bytes: run?.pipeline.bytes ?? 0,
        captureDrops: 0, // a capture file drops nothing
        flowsActive: run?.pipeline.activeFlows ?? 0,
        memoryRss: mem.rss,
        memoryHeap: mem.heapUsed,
        learningProgress: e.mode === "detecting" ? 1 : o.learnSeconds > 0 ? e.learnedSeconds / o.learnSeconds : 1,
        spoolDepth: sinks.depth(),
        droppedPoints: sinks.dropped(),
      };
    },
    assets: () => detection.inventory.snapshot().map(summary),
  });
  const aggregator = agg;
  let knownAssets = 0;

  const consumer = {
    onEvent(e: EventBase): void {
      detection.observe(e);
      aggregator.observe(e);
      if (detection.engine.mode !== mode) {
        mode = detection.engine.mode;
        sinks.setStatus({ mode, learningProgress: 1 });
      }
      // New assets: publish each one once (retained summary under otwatch/<site>/assets/<ip>).
      if (detection.inventory.size !== knownAssets) {
        knownAssets = detection.inventory.size;
        for (const a of detection.inventory.snapshot()) {
          if (published.has(a.ip)) continue;
          published.add(a.ip);
          const s = summary(a);
          sinks.publishAsset({ ip: s.ip, zone: s.zone, role: s.role, vendor: s.vendor, first_seen: a.first_seen });
        }
      }
    },
    close(): void {
      aggregator.flush();
    },
  };
  sinks.setStatus({ mode: "learning", learningProgress: 0 });
  const eventRun = new EventRun({ quiet: true, consumers: [consumer] });
  run = eventRun;
  const p = eventRun.pipeline;
  await readCapture(o.pcap, p.handleFrame.bind(p), p.counters);
  const { summary: s } = await eventRun.finish(o.pcap);
  if (!(await sinks.flush(60_000))) throw new Error(`sinks did not deliver within 60 s (depth ${sinks.depth()})`);
  await sinks.close();
  return {
    site: site.site,
    packets: s.packets,
    firstTs: p.firstTs,
    lastTs: p.lastTs,
    anomalies,
    points,
    assets: detection.inventory.size,
  };
}

/** The labelled scenario's learning period: seconds after the first packet, and its end in epoch seconds. */
export function scenarioLabels(labelsPath: string): { learnSeconds: number; learnUntil: number } {
  const labels = JSON.parse(readFileSync(labelsPath, "utf8")) as { learn_until_offset_s?: number; learn_until_epoch?: number };
  if (typeof labels.learn_until_offset_s !== "number" || typeof labels.learn_until_epoch !== "number") {
    throw new Error(`${labelsPath}: no learn_until_offset_s / learn_until_epoch`);
  }
  return { learnSeconds: labels.learn_until_offset_s, learnUntil: labels.learn_until_epoch };
}

export const scenarioFiles = (scenarios: string) => ({
  pcap: join(scenarios, "plant-a-attacks.pcap"),
  labels: join(scenarios, "plant-a-attacks.pcap.labels.json"),
  siteYaml: join(scenarios, "site.yaml"),
});
