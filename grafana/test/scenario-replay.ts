// Test wiring for the dashboard panel test (issue 4 §4): replays a capture through exactly what
// `otwatch replay <pcap> --config site.yaml --learn <s> --influx URL --mqtt URL` runs (replayCommand: pipeline, the
// Sensor's learning/detection, inventory, metrics aggregator, InfluxDB and MQTT sinks, flushed at the end), and reads
// back what the dashboards' macros need: the capture's packet-time range, the site name and the anomalies.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { replayCommand } from "../../appliance/commands/replay.ts";
import { loadSiteConfig } from "../../src/config/site.ts";
import type { Anomaly } from "../../src/detect/types.ts";
import type { RunSummary } from "../../src/output/summary.ts";

export interface ScenarioReplayOptions {
  pcap: string;
  siteYaml: string;
  learnSeconds: number;
  /** InfluxDB base URL (database `otwatch` is appended, as in the README's quick start). */
  influxUrl: string;
  mqttUrl: string;
  /** Work folder: spools, the anomaly file and the summary go here. */
  stateDir: string;
}

export interface ScenarioReplayResult {
  site: string;
  packets: number;
  /** Packet time of the first and last packet, epoch seconds. */
  firstTs: number;
  lastTs: number;
  anomalies: Anomaly[];
}

export async function replayScenario(o: ScenarioReplayOptions): Promise<ScenarioReplayResult> {
  const anomaliesPath = join(o.stateDir, "anomalies.jsonl");
  const summaryPath = join(o.stateDir, "summary.json");
  const code = await replayCommand.run([
    o.pcap,
    "--config", o.siteYaml,
    "--learn", `${o.learnSeconds}s`,
    "--influx", `${o.influxUrl}/otwatch`,
    "--mqtt", o.mqttUrl,
    "--state-dir", join(o.stateDir, "state"),
    "--anomalies", anomaliesPath,
    "--summary-json", summaryPath,
    "--quiet",
  ]);
  if (code !== 0) throw new Error(`otwatch replay exited with ${code}`);
  const summary = JSON.parse(readFileSync(summaryPath, "utf8")) as RunSummary;
  if (summary.firstTs === undefined || summary.lastTs === undefined) throw new Error(`${o.pcap}: no packets replayed`);
  const anomalies = readFileSync(anomaliesPath, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as Anomaly);
  return {
    site: loadSiteConfig(o.siteYaml).site,
    packets: summary.packets,
    firstTs: Date.parse(summary.firstTs) / 1000,
    lastTs: Date.parse(summary.lastTs) / 1000,
    anomalies,
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
