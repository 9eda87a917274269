// Issue 4 §3 "nothing lost", end to end: a real labelled plant capture replayed with learning + detection into a real
// influxd and a real mosquitto through the product path of `otwatch replay --config --learn --influx --mqtt`
// (buildSensor + runReplay), twice on fresh servers — once undisturbed, once stopping BOTH servers (SIGTERM) when a
// third of the packets have gone through the pipeline and starting them again (same port, same data folder) at
// RESTART_AT. Every InfluxDB point (all measurements, both retention policies, tags + fields + time) and every MQTT
// anomaly and asset message (in order) must equal the reference run.
//
// The capture is fed through a named pipe in paced chunks, so runReplay reads it as it would read a slow source and the
// outage spans a fixed part of the packet stream: the stop/restart are kicked off (not awaited: consumers are
// synchronous) by an event consumer placed after the sensor.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { buildSensor } from "../../appliance/commands/sensor-options.ts";
import { runReplay, type EventConsumer } from "../../appliance/commands/replay.ts";
import { CaptureReader } from "../../src/capture/reader.ts";
import { Counters } from "../../src/core/counters.ts";
import type { Pipeline } from "../../src/pipeline.ts";
import type { SinkCounters } from "../../src/sinks/delivery.ts";
import { startInfluxd } from "../../src/services/influxd.ts";
import { startMosquitto } from "../../src/services/mosquitto.ts";
import { influxQuery, removeTempDirs, tempDir, type InfluxRow } from "../helpers/servers.ts";
import { sharedPath } from "../helpers/shared.ts";

const PCAP = sharedPath("scenarios", "plant-a-attacks.pcap");
const SITE = sharedPath("scenarios", "site.yaml");
/** The scenario's labelled learning period (learn_until_offset_s 2679.6, rounded up). */
const LEARN = "2680s";
const DB = "otwatch";
/** Fractions of the capture's packets at which both servers are stopped, then started again. Detection starts at
 * ~60 % of the capture, so the outage covers the end of learning and the first attacks (anomalies, not only points). */
const STOP_AT = 1 / 3;
const RESTART_AT = 0.85;
/** Pacing of the named pipe: ~145 chunks of 64 KiB, a pause after each (the replay takes a few seconds). */
const CHUNK_BYTES = 64 * 1024;
const CHUNK_PAUSE_MS = 20;
/**
 * Sensor-health fields that measure the sensor process, not the plant: memory depends on the garbage collector and wall
 * clock, spool depth is by design higher during the outage. Everything else in the sensor measurement (packets/s,
 * flows, events, learning progress, dropped points) is packet-driven and compared.
 */
const WALL_CLOCK_FIELDS: Readonly<Record<string, readonly string[]>> = { sensor: ["memory_rss", "memory_heap", "spool_depth"] };

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Msg {
  topic: string;
  payload: string;
}

interface RunData {
  /** Per "<rp>.<measurement>": rows ordered by series then time. */
  influx: Map<string, InfluxRow[]>;
  /** Anomaly and asset messages in arrival order (QoS-1 redeliveries removed), and how many were removed. */
  messages: Msg[];
  duplicates: number;
  /** Retained messages a new subscriber gets after the run, by topic. */
  retained: Map<string, string>;
  /** The sensor's own anomaly records (JSONL file), in emission order. */
  emitted: Record<string, unknown>[];
  influxCounters: SinkCounters;
  mqttCounters: SinkCounters;
  /** Items waiting in the spools and anomalies emitted while the servers were down (outage run). */
  outage?: { influxDepth: number; mqttDepth: number; anomalies: number };
}

function countPackets(path: string): number {
  let n = 0;
  const reader = new CaptureReader(() => void n++, new Counters());
  reader.push(readFileSync(path));
  reader.end();
  return n;
}

/** Writes the capture into the named pipe in paced chunks (runReplay reads the other end). */
async function feed(fifo: string, data: Buffer): Promise<void> {
  const fh = await open(fifo, "w");
  try {
    for (let off = 0; off < data.length; off += CHUNK_BYTES) {
      await fh.write(data.subarray(off, off + CHUNK_BYTES));
      await sleep(CHUNK_PAUSE_MS);
    }
  } finally {
    await fh.close();
  }
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

/** Every point of every measurement in both retention policies. */
async function readInflux(url: string): Promise<Map<string, InfluxRow[]>> {
  const out = new Map<string, InfluxRow[]>();
  const names = (await influxQuery(url, DB, "SHOW MEASUREMENTS")).map((r) => String(r.fields.name));
  for (const rp of ["raw", "long"]) {
    for (const m of names.sort()) {
      const rows = await influxQuery(url, DB, `SELECT * FROM "${DB}"."${rp}"."${m}" GROUP BY * ORDER BY time`);
      const drop = WALL_CLOCK_FIELDS[m] ?? [];
      for (const r of rows) for (const f of drop) delete r.fields[f];
      if (rows.length > 0) out.set(`${rp}.${m}`, rows);
    }
  }
  return out;
}

/** Retained messages: what a fresh subscriber gets at once (collected until nothing new comes for 300 ms). */
async function readRetained(url: string): Promise<Map<string, string>> {
  const c = await connectAsync(url, { clientId: `retained-${process.pid}`, clean: true });
  const retained = new Map<string, string>();
  let last = Date.now();
  c.on("message", (topic, payload, packet) => {
    if (packet.retain) retained.set(topic, payload.toString());
    last = Date.now();
  });
  await c.subscribeAsync("otwatch/#", { qos: 1 });
  while (Date.now() - last < 300) await sleep(50);
  await c.endAsync();
  return retained;
}

const totalPackets = countPackets(PCAP);
const capture = readFileSync(PCAP);

async function replayRun(name: string, outage: boolean): Promise<RunData> {
  const influxd = await startInfluxd({ dir: tempDir(`otwatch-influxd-${name}-`) });
  // Persistence: the broker keeps the subscriber's session (and queued QoS-1 messages) and retained messages across its
  // own restart, as an installed mosquitto would.
  const broker = await startMosquitto({ dir: tempDir(`otwatch-mosquitto-${name}-`), persistence: true });
  let sub: MqttClient | undefined;
  try {
    sub = await connectAsync(broker.url, { clientId: `outage-sub-${name}`, clean: false, reconnectPeriod: 100 });
    const raw: Msg[] = [];
    sub.on("message", (topic, payload) => raw.push({ topic, payload: payload.toString() }));
    await sub.subscribeAsync("otwatch/#", { qos: 1 });

    const work = tempDir(`otwatch-outage-${name}-`);
    const anomaliesPath = join(work, "anomalies.jsonl");
    const logs: string[] = [];
    const counters = new Counters();
    const built = buildSensor(
      { config: SITE, learn: LEARN, anomalies: anomaliesPath, influx: `${influxd.url}/${DB}`, mqtt: broker.url, "state-dir": join(work, "state") },
      counters,
      (m) => logs.push(m),
    );
    const sinks = built.sensor.sinks;
    if (sinks?.influx === undefined || sinks.mqtt === undefined) throw new Error("buildSensor made no sinks");
    const emittedSoFar = (): number => readFileSync(anomaliesPath, "utf8").split("\n").filter(Boolean).length;

    let pipeline: Pipeline | undefined;
    let down: Promise<void> | undefined;
    let up: Promise<void> | undefined;
    let anomaliesAtStop = 0;
    let during: RunData["outage"];
    const outageTrigger: EventConsumer = {
      onEvent: () => {
        if (!outage || pipeline === undefined) return;
        if (down === undefined && pipeline.packets >= totalPackets * STOP_AT) {
          anomaliesAtStop = emittedSoFar();
          down = Promise.all([influxd.stop(), broker.stop()]).then(() => undefined);
        } else if (down !== undefined && up === undefined && pipeline.packets >= totalPackets * RESTART_AT) {
          during = {
            influxDepth: sinks.influx?.counters().depth ?? 0,
            mqttDepth: sinks.mqtt?.counters().depth ?? 0,
            anomalies: emittedSoFar() - anomaliesAtStop,
          };
          up = down.then(() => Promise.all([influxd.restart(), broker.restart()])).then(() => undefined);
        }
      },
    };

    const fifo = join(work, "capture.pcap.fifo");
    execFileSync("mkfifo", [fifo]);
    const feeding = feed(fifo, capture);
    const result = await runReplay({
      source: fifo,
      quiet: true,
      counters,
      consumers: [built.consumer, outageTrigger],
      onPipeline: (p) => {
        pipeline = p;
        built.sensor.attach(p);
      },
    });
    await feeding;
    await up;
    expect(result.summary.packets).toBe(totalPackets);
    if (outage) expect(up, "the replay ended before the restart point").toBeDefined();
    const influxCounters = sinks.influx.counters();
    const mqttCounters = sinks.mqtt.counters();
    expect(logs.filter((l) => l.includes("did not deliver"))).toEqual([]);

    // The sink saw PUBACKs for every message; wait until the subscriber has them too (it may still be reconnecting).
    const seen = new Set<string>();
    const messages: Msg[] = [];
    let duplicates = 0;
    const dedupe = (): void => {
      for (const m of raw.splice(0)) {
        if (!m.topic.includes("/anomalies/") && !m.topic.includes("/assets/")) continue;
        // A QoS-1 redelivery is the same message again: same topic, byte-identical payload. (A legitimate re-emission of
        // an aggregated anomaly keeps its id but changes count/last_seen/ts, so the id alone would be too coarse.)
        const key = `${m.topic}\n${m.payload}`;
        if (seen.has(key)) duplicates++;
        else {
          seen.add(key);
          messages.push(m);
        }
      }
    };
    await waitFor(() => {
      dedupe();
      return messages.length >= mqttCounters.written;
    }, 20_000);
    await sleep(200); // late duplicates
    dedupe();
    await sub.endAsync();
    sub = undefined;

    return {
      influx: await readInflux(influxd.url),
      messages,
      duplicates,
      retained: await readRetained(broker.url),
      emitted: readFileSync(anomaliesPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>),
      influxCounters,
      mqttCounters,
      ...(during !== undefined ? { outage: during } : {}),
    };
  } finally {
    await sub?.endAsync(true);
    await Promise.all([influxd.stop(), broker.stop()]);
  }
}

afterAll(() => removeTempDirs());

const anomalyPayloads = (r: RunData): Record<string, unknown>[] =>
  r.messages.filter((m) => m.topic.includes("/anomalies/")).map((m) => JSON.parse(m.payload) as Record<string, unknown>);

describe("outage of the real influxd and mosquitto in the middle of a replay (plant-a-attacks)", () => {
  it("delivers every point and anomaly, in order, equal to a run without the outage", async () => {
    const base = await replayRun("base", false);
    const out = await replayRun("outage", true);

    // InfluxDB: same measurements, same points (tags, fields, time) in both retention policies.
    expect([...out.influx.keys()]).toEqual([...base.influx.keys()]);
    for (const m of ["traffic", "modbus", "opcua", "assets", "anomalies", "sensor"]) expect(base.influx.get(`raw.${m}`)?.length ?? 0, m).toBeGreaterThan(0);
    for (const [key, rows] of base.influx) {
      expect(out.influx.get(key)?.length, key).toBe(rows.length);
      expect(out.influx.get(key), key).toEqual(rows);
    }

    // MQTT: every anomaly the sensor emitted arrived, in emission order, with the same content, in both runs.
    expect(base.emitted.length).toBeGreaterThan(0);
    expect(out.emitted).toEqual(base.emitted);
    expect(anomalyPayloads(base)).toEqual(base.emitted);
    expect(anomalyPayloads(out)).toEqual(out.emitted);
    expect(base.influx.get("raw.anomalies")?.length).toBe(base.emitted.length);
    // Anomalies and asset summaries share one ordered spool: the whole sequence (topics and payloads) is equal.
    expect(out.messages).toEqual(base.messages);

    // Retained: status (offline after close, detecting, fully learned; `ts` is wall-clock) and one summary per asset.
    const site = "plant-a";
    for (const r of [base, out]) {
      const status = JSON.parse(r.retained.get(`otwatch/${site}/status`) ?? "{}") as Record<string, unknown>;
      expect(status).toMatchObject({ state: "offline", site, mode: "detecting", learning_progress: 1 });
      const assets = [...r.retained.keys()].filter((t) => t.startsWith(`otwatch/${site}/assets/`));
      expect(assets.length).toBeGreaterThan(0);
      const lastPerTopic = new Map(r.messages.filter((m) => m.topic.includes("/assets/")).map((m) => [m.topic, m.payload]));
      expect(new Map(assets.map((t) => [t, r.retained.get(t)]))).toEqual(lastPerTopic);
    }
    expect([...out.retained.entries()].filter(([t]) => t.includes("/assets/"))).toEqual([...base.retained.entries()].filter(([t]) => t.includes("/assets/")));

    // The outage really overlapped data production, and nothing was dropped.
    expect(out.outage?.influxDepth ?? 0).toBeGreaterThan(0);
    expect(out.outage?.mqttDepth ?? 0).toBeGreaterThan(0);
    expect(out.outage?.anomalies ?? 0).toBeGreaterThan(0);
    expect(out.influxCounters.spooled).toBeGreaterThan(0);
    expect(out.influxCounters.retries).toBeGreaterThan(0);
    expect(out.mqttCounters.spooled).toBeGreaterThan(0);
    expect(out.mqttCounters.retries).toBeGreaterThan(0);
    for (const c of [base.influxCounters, base.mqttCounters, out.influxCounters, out.mqttCounters]) expect(c).toMatchObject({ dropped: 0, depth: 0 });

    const perMeasurement = [...out.influx.entries()].map(([k, rows]) => `${k} ${rows.length}`).join(", ");
    console.log(
      `outage replay (${totalPackets} packets): points ${perMeasurement}; anomalies ${out.emitted.length}, asset messages ` +
        `${out.messages.length - out.emitted.length}; during the outage: ${out.outage?.anomalies} anomalies emitted, spool depth ` +
        `influx ${out.outage?.influxDepth} mqtt ${out.outage?.mqttDepth}; influx spooled ${out.influxCounters.spooled} retries ` +
        `${out.influxCounters.retries}; mqtt spooled ${out.mqttCounters.spooled} retries ${out.mqttCounters.retries}; ` +
        `QoS-1 duplicates ${out.duplicates} (reference run ${base.duplicates}); reference run retries influx ` +
        `${base.influxCounters.retries} mqtt ${base.mqttCounters.retries}`,
    );
  });
});
