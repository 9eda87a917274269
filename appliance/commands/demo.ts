// `otwatch demo` — the main job end to end (README quick start): starts a local influxd and mosquitto (loopback only, data
// under ./state/demo), replays the bundled plant capture through learning and detection into both, checks what arrived
// (series in InfluxDB, messages received from the broker, labelled attacks detected) and prints where to look.

import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { connect } from "mqtt";
import { Counters } from "../../src/core/counters.ts";
import { packageRoot } from "../../src/core/package-root.ts";
import { startInfluxd } from "../../src/services/influxd.ts";
import { startMosquitto } from "../../src/services/mosquitto.ts";
import { freePort, portAccepts } from "../../src/services/free-port.ts";
import type { Anomaly } from "../../src/detect/types.ts";
import type { Pipeline } from "../../src/pipeline.ts";
import { DEFAULT_DATABASE } from "../../src/metrics/schema.ts";
import { runReplay } from "./replay.ts";
import { buildSensor, formatKindTable } from "./sensor-options.ts";
import type { Command } from "./types.ts";

// From the package root, not this module: bundled, this code runs from dist/<fingerprint>/.
const demoDir = join(packageRoot(import.meta.url), "appliance", "demo");

const usage = `usage: otwatch demo [options]

Starts a local InfluxDB and Mosquitto on loopback (data in --state-dir), replays the bundled plant capture
(${join("appliance", "demo", "plant-demo.pcap")}) through learning and detection into both, and prints what arrived.

options:
      --capture <file>     another capture (with --config and --learn)
  -c, --config <file>      site configuration (default: the bundled one)
  -l, --learn <duration>   learning period (default: from the capture's labels file)
      --state-dir <dir>    where the servers keep their data (default ./state/demo)
      --keep-running       keep influxd and mosquitto running after the replay (Ctrl-C stops them)
  -h, --help               this text
`;

interface Labels {
  learn_until_offset_s?: number;
  attacks?: { id: string; kind: string; start: number; end: number; attacker?: string; src?: string; targets?: string[] }[];
}

function ipv4(ip: string): number {
  const p = ip.split(".").map(Number);
  return p.length === 4 ? (((p[0] ?? 0) << 24) | ((p[1] ?? 0) << 16) | ((p[2] ?? 0) << 8) | (p[3] ?? 0)) >>> 0 : -1;
}

function inSpec(ip: string, spec: string): boolean {
  if (!spec.includes("/")) return ip === spec;
  const [net, bits] = spec.split("/");
  const mask = Number(bits) === 0 ? 0 : (0xffffffff << (32 - Number(bits))) >>> 0;
  return ((ipv4(ip) & mask) >>> 0) === ((ipv4(net ?? "") & mask) >>> 0);
}

/** The labels' matching rule (start − 5 s ≤ ts ≤ end + 120 s, src or dst is the attacker or a target). */
function scoreAgainstLabels(labels: Labels, anomalies: readonly Anomaly[]): { detected: string[]; missed: string[] } {
  const detected: string[] = [];
  const missed: string[] = [];
  for (const a of labels.attacks ?? []) {
    const hosts = [a.attacker, a.src, ...(a.targets ?? [])].filter((h): h is string => typeof h === "string");
    const hit = anomalies.some((x) => {
      const t = Date.parse(x.ts) / 1000;
      return t >= a.start - 5 && t <= a.end + 120 && hosts.some((h) => inSpec(x.src, h) || inSpec(x.dst, h));
    });
    (hit ? detected : missed).push(`${a.id} ${a.kind}`);
  }
  return { detected, missed };
}

async function preferredPort(port: number): Promise<number> {
  return (await portAccepts(port)) ? freePort() : port;
}

export const demoCommand: Command = {
  name: "demo",
  summary: "end-to-end demo: local InfluxDB + Mosquitto, the bundled plant capture learned and checked",
  usage,
  async run(args: string[]): Promise<number> {
    const { values } = parseArgs({
      args,
      options: {
        capture: { type: "string" },
        config: { type: "string", short: "c" },
        learn: { type: "string", short: "l" },
        "state-dir": { type: "string" },
        "keep-running": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
    if (values.help === true) {
      process.stdout.write(usage);
      return 0;
    }
    const capture = resolve(values.capture ?? join(demoDir, "plant-demo.pcap"));
    const config = resolve(values.config ?? join(demoDir, "site.yaml"));
    const labelsPath = `${capture}.labels.json`;
    const labels: Labels = existsSync(labelsPath) ? (JSON.parse(readFileSync(labelsPath, "utf8")) as Labels) : {};
    const learn = values.learn ?? (labels.learn_until_offset_s !== undefined ? `${Math.ceil(labels.learn_until_offset_s)}s` : "30m");
    const stateDir = resolve(values["state-dir"] ?? join("state", "demo"));
    const say = (m: string): void => void process.stdout.write(`${m}\n`);

    say(`otwatch demo: starting influxd and mosquitto on 127.0.0.1 (data in ${stateDir})`);
    const influxd = await startInfluxd({ dir: join(stateDir, "influxdb"), port: await preferredPort(8086) });
    const mosquitto = await startMosquitto({ dir: join(stateDir, "mosquitto"), port: await preferredPort(1883) });
    const received = new Map<string, number>();
    const sub = connect(mosquitto.url, { clientId: `otwatch-demo-${process.pid}` });
    try {
      await new Promise<void>((ok, fail) => {
        sub.once("connect", () => sub.subscribe("otwatch/#", { qos: 1 }, (err) => (err ? fail(err) : ok())));
        sub.once("error", fail);
      });
      sub.on("message", (topic) => {
        const kind = topic.split("/")[2] ?? topic;
        received.set(kind, (received.get(kind) ?? 0) + 1);
      });

      say(`otwatch demo: replaying ${capture} (learning ${learn} of packet time, then detecting)`);
      const counters = new Counters();
      const anomaliesPath = join(stateDir, "anomalies.jsonl");
      const { sensor, consumer } = buildSensor(
        {
          config,
          learn,
          anomalies: anomaliesPath,
          influx: `${influxd.url}/${DEFAULT_DATABASE}`,
          mqtt: mosquitto.url,
          "state-dir": stateDir,
          "save-baseline": join(stateDir, "baseline.json"),
        },
        counters,
        (m) => process.stderr.write(`${m}\n`),
      );
      const started = Date.now();
      const result = await runReplay({
        source: capture,
        quiet: true,
        counters,
        consumers: [consumer],
        onPipeline: (p: Pipeline) => sensor.attach(p),
      });
      const anomalies = sensor.detection.engine.anomalies();
      await new Promise((r) => setTimeout(r, 500));

      const q = await fetch(`${influxd.url}/query?db=${DEFAULT_DATABASE}&q=${encodeURIComponent("SHOW SERIES")}`);
      const body = (await q.json()) as { results?: { series?: { values?: unknown[] }[] }[] };
      const series = body.results?.[0]?.series?.[0]?.values?.length ?? 0;
      const secs = (Date.now() - started) / 1000;
      say("");
      say(`replayed ${result.summary.packets} packets, ${result.summary.flows} flows in ${secs.toFixed(1)} s`);
      say(formatKindTable(sensor).trimEnd());
      say("");
      say(`InfluxDB: ${series} series in database "${DEFAULT_DATABASE}" at ${influxd.url}`);
      say(`MQTT: received ${[...received.entries()].map(([k, n]) => `${n} ${k}`).join(", ") || "nothing"} on otwatch/${sensor.siteName}/# at ${mosquitto.url}`);
      if (labels.attacks !== undefined) {
        const s = scoreAgainstLabels(labels, anomalies);
        say(`labelled attacks detected: ${s.detected.length}/${labels.attacks.length}${s.missed.length ? ` (missed: ${s.missed.join(", ")})` : ""}`);
      }
      say("");
      say(values["keep-running"] === true ? "where to look (servers keep running):" : "where to look (the servers stop now; `bash appliance/demo.sh --keep-running` keeps them up):");
      say(`  anomalies      ${anomaliesPath}`);
      say(`  baseline       ${join(stateDir, "baseline.json")}   (otwatch baseline show …)`);
      say(`  InfluxDB       influx -host 127.0.0.1 -port ${influxd.port} -database ${DEFAULT_DATABASE} -execute 'SHOW MEASUREMENTS'`);
      say(`  MQTT           mosquitto_sub -h 127.0.0.1 -p ${mosquitto.port} -t 'otwatch/#' -v`);
      say(`  Grafana        provisioning in grafana/provisioning, dashboards in grafana/dashboards (see grafana/README.md)`);
      if (values["keep-running"] === true) {
        say("\ninfluxd and mosquitto keep running; Ctrl-C stops them.");
        await new Promise<void>((r) => {
          process.once("SIGINT", () => r());
          process.once("SIGTERM", () => r());
        });
      }
      return series > 0 && received.size > 0 ? 0 : 1;
    } finally {
      sub.end(true);
      await Promise.all([influxd.stop(), mosquitto.stop()]);
    }
  },
};
