// Issue 4 §4, the panel test. The labelled plant capture, with a few public captures merged in for what it lacks
// (grafana/test/exercise-capture.ts), goes through `otwatch replay --config --learn --influx --mqtt` (learning, then
// detection) into a real influxd and a real mosquitto started for this test. Then every InfluxQL query of every
// generated dashboard — panel targets, anomaly annotations, template variables — runs against influxd over HTTP with
// Grafana's macros and variables substituted, twice:
//   - variables on "All" (expanded as Grafana does: every value regex-escaped, in (a|b|…)): every query must return
//     rows, and a non-zero value unless listed in ZERO_BY_DESIGN;
//   - one real value per variable (chained variables resolved in order): each dashboard must still return rows (the
//     escaping of values such as "10.40.1.5→10.40.2.101/1"); legitimately empty combinations are listed.
// MQTT panels: each panel's topic filter was subscribed on the broker before the replay and must have received
// messages, and must match topics built by the MQTT sink's topic builders.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anomalyTopic, assetTopic, statusTopic } from "../src/sinks/mqtt-sink.ts";
import type { InfluxdHandle } from "../src/services/influxd.ts";
import type { MosquittoHandle } from "../src/services/mosquitto.ts";
import { influxQuery, removeTempDirs, tempDir, withInfluxd, withMosquitto } from "../test/helpers/servers.ts";
import { sharedPath } from "../test/helpers/shared.ts";
import { DASHBOARDS_DIR } from "./generate.ts";
import { DASHBOARDS } from "./src/index.ts";
import {
  dashboardQueries,
  dashboardVariables,
  expandRegexVariable,
  substitute,
  topicMatches,
  type MacroValues,
  type QueryRef,
} from "./test/dashboard-queries.ts";
import { buildExerciseCapture } from "./test/exercise-capture.ts";
import { replayScenario, scenarioFiles, scenarioLabels, type ScenarioReplayResult } from "./test/scenario-replay.ts";

const DB = "otwatch";
const INTERVAL = "10s";

/**
 * Queries whose values are all zero in a healthy replay, by design: a capture file cannot drop packets, and nothing is
 * dropped while both servers are up; the spool depth at a window's close depends on delivery timing (zero when the
 * sinks keep up). src/sinks/outage.test.ts covers spooling and drops. These must still return rows; every other query
 * must return at least one non-zero value.
 */
const ZERO_BY_DESIGN = new Set([
  "sensor / Capture drops [A]",
  "sensor / Dropped points [A]",
  "sensor / Spool depth and dropped points [A]",
  "sensor / Spool depth and dropped points [B]",
]);

let influxd: InfluxdHandle;
let broker: MosquittoHandle;
let replay: ScenarioReplayResult;
const subscribers: MqttClient[] = [];
/** MQTT topic filter (site "+") → topics received on it during the replay. */
const received = new Map<string, string[]>();

const dashboards = Object.keys(DASHBOARDS).map((name) => ({
  name,
  json: JSON.parse(readFileSync(join(DASHBOARDS_DIR, `${name}.json`), "utf8")) as Record<string, unknown>,
}));
const allQueries: QueryRef[] = dashboards.flatMap((d) => dashboardQueries(d.name, d.json));
const mqttFilters = [...new Set(allQueries.filter((q) => q.kind === "mqtt").map((q) => q.text.replace(/\$site|\$\{site\}/g, "+")))];

beforeAll(async () => {
  influxd = await withInfluxd();
  broker = await withMosquitto();
  for (const filter of mqttFilters) {
    const c = await connectAsync(broker.url, { clientId: `panel-${subscribers.length}`, reconnectPeriod: 0 });
    received.set(filter, []);
    c.on("message", (topic) => received.get(filter)?.push(topic));
    await c.subscribeAsync(filter, { qos: 1 });
    subscribers.push(c);
  }
  const files = scenarioFiles(sharedPath("scenarios"));
  const labels = scenarioLabels(files.labels);
  const work = tempDir("otwatch-grafana-");
  replay = await replayScenario({
    pcap: (await buildExerciseCapture(files.pcap, sharedPath("pcaps"), labels.learnUntil, work)).path,
    siteYaml: files.siteYaml,
    learnSeconds: labels.learnSeconds,
    influxUrl: influxd.url,
    mqttUrl: broker.url,
    stateDir: work,
  });
  // Delivery to the subscribers follows the sink's PUBACKs; give the broker a moment to fan out the last ones.
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline && [...received.values()].some((t) => t.length === 0)) await new Promise((r) => setTimeout(r, 50));
}, 120_000);

afterAll(async () => {
  await Promise.all(subscribers.map((c) => c.endAsync()));
  await influxd?.stop();
  await broker?.stop();
  removeTempDirs();
});

function macros(variables: Map<string, string>): MacroValues {
  // A range covering the capture's packet times (Grafana's $timeFilter is epoch milliseconds).
  return {
    fromMs: Math.floor(replay.firstTs - 60) * 1000,
    toMs: Math.ceil(replay.lastTs + 60) * 1000,
    interval: INTERVAL,
    intervalMs: 10_000,
    variables,
  };
}

/** Rows returned, and rows holding a non-zero number or a string. */
async function rows(q: string): Promise<{ n: number; nonZero: number }> {
  const r = await influxQuery(influxd.url, DB, q);
  const nonZero = r.filter((row) => Object.values(row.fields).some((v) => typeof v === "string" || v !== 0)).length;
  return { n: r.length, nonZero };
}

/**
 * Resolves a dashboard's variables in order (chained ones see the earlier choices): "all" = every value, or "one" =
 * one real value each (the last in SHOW TAG VALUES order, so OPC UA's pseudo-service "(channel)", which has no
 * response time by design, is not the one picked).
 */
async function resolveVariables(d: (typeof dashboards)[number], mode: "all" | "one"): Promise<{ vars: Map<string, string>; report: string[] }> {
  const vars = new Map<string, string>();
  const report: string[] = [];
  for (const v of dashboardVariables(d.json)) {
    if (v.type === "textbox") {
      vars.set(v.name, replay.site);
      continue;
    }
    expect(v.datasourceUid, `${d.name} variable ${v.name}`).toBe("otwatch-influxdb");
    const q = substitute(v.query, macros(vars));
    const values = (await influxQuery(influxd.url, DB, q)).map((r) => String(r.fields.value));
    report.push(`  variable ${v.name}: ${values.length} values (${mode})`);
    expect(values.length, `${d.name}: variable ${v.name}: ${q}`).toBeGreaterThan(0);
    vars.set(v.name, expandRegexVariable(mode === "all" ? values : [values[values.length - 1] as string]));
  }
  return { vars, report };
}

describe("every dashboard query returns data from the replayed plant capture", () => {
  it("replayed the capture through `otwatch replay` with learning, detection and both sinks", () => {
    expect(replay.packets).toBeGreaterThan(10_000);
    expect(replay.anomalies.length).toBeGreaterThan(0);
    expect(allQueries.length).toBeGreaterThan(50);
  });

  for (const mode of ["all", "one"] as const) {
    it(`InfluxQL panels, annotations and variables (variables: ${mode === "all" ? '"All"' : "one value each"})`, async () => {
      const lines: string[] = [];
      const empty: string[] = [];
      for (const d of dashboards) {
        const { vars, report } = await resolveVariables(d, mode);
        lines.push(`${d.name}:`, ...report);
        let total = 0;
        for (const q of dashboardQueries(d.name, d.json).filter((x) => x.kind === "influx")) {
          const text = substitute(q.text, macros(vars));
          const { n, nonZero } = await rows(text);
          const id = `${d.name} / ${q.where} [${q.refId}]`;
          total += n;
          lines.push(`  ${String(n).padStart(6)} ${String(nonZero).padStart(6)}  ${q.where} [${q.refId}]`);
          if (n === 0) empty.push(`${id}: ${text}`);
          if (mode === "all") {
            if (ZERO_BY_DESIGN.has(id)) expect(n, id).toBeGreaterThan(0);
            else expect(nonZero, `${id}: only zeros: ${text}`).toBeGreaterThan(0);
          }
        }
        // One value per variable: a mis-escaped value (channels hold "→", "/" and dots) would empty the whole dashboard.
        expect(total, `${d.name}: no rows at all with one value per variable`).toBeGreaterThan(0);
      }
      console.log(`dashboard queries: rows returned, rows with a non-zero value (variables: ${mode}):\n${lines.join("\n")}`);
      // "All" is what the dashboards open with: every query must return rows. With one value per variable some
      // combinations are legitimately empty (no zone crossing inside one zone); they are listed, not failed.
      if (mode === "all") expect(empty).toEqual([]);
      else if (empty.length > 0) console.log(`empty for this one-value selection:\n  ${empty.join("\n  ")}`);
    });
  }

  it("MQTT panels subscribe to topics the appliance publishes, and messages arrived on each", () => {
    const mqtt = allQueries.filter((q) => q.kind === "mqtt");
    expect(mqtt.length).toBeGreaterThan(0);
    // Topics the sink's topic builders produce for this replay.
    const built = [
      statusTopic(replay.site),
      ...replay.anomalies.map((a) => anomalyTopic(replay.site, a)),
      assetTopic(replay.site, "10.0.0.1"),
    ];
    const lines: string[] = [];
    for (const q of mqtt) {
      const forSite = q.text.replace(/\$site|\$\{site\}/g, replay.site);
      const anySite = q.text.replace(/\$site|\$\{site\}/g, "+");
      expect(built.some((t) => topicMatches(forSite, t)), `${q.dashboard} / ${q.where}: ${forSite} matches no topic the sink builds`).toBe(true);
      const got = received.get(anySite) ?? [];
      lines.push(`  ${String(got.length).padStart(6)}  ${q.dashboard} / ${q.where}: ${anySite}`);
      expect(got.length, `${q.dashboard} / ${q.where}: nothing received on ${anySite}`).toBeGreaterThan(0);
      for (const t of got) expect(topicMatches(forSite, t)).toBe(true);
    }
    console.log(`MQTT panels, messages received during the replay:\n${lines.join("\n")}`);
  });
});
