// Issue 4 §3 "nothing lost": a deterministic stream of 3000 points and 300 anomalies is fed over ~2.5 s into the InfluxDB
// and MQTT sinks twice — once with both servers up, once stopping the real influxd and the real mosquitto a third of the
// way in and starting them again (same data folder, same ports) at two thirds. Every point must be in InfluxDB and every
// anomaly at the subscriber, in order, with contents equal to the run without the outage.
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { T0, anomaly } from "../../test/helpers/metric-fixtures.ts";
import { influxQuery, removeTempDirs, tempDir, withInfluxd, withMosquitto, type InfluxRow } from "../../test/helpers/servers.ts";
import type { Severity } from "../detect/types.ts";
import type { MetricPoint } from "../metrics/schema.ts";
import type { InfluxdHandle } from "../services/influxd.ts";
import type { MosquittoHandle } from "../services/mosquitto.ts";
import { InfluxSink } from "./influx-sink.ts";
import { MqttSink } from "./mqtt-sink.ts";

const STEPS = 60;
const POINTS_PER_STEP = 50;
const ANOMALIES_PER_STEP = 5;
const STEP_MS = 40;
const SEVERITIES: Severity[] = ["low", "medium", "high", "critical"];
const KINDS = ["modbus.new-function-code", "zone.it-to-ot", "opcua.new-service", "net.beacon"];

function stepPoints(step: number): MetricPoint[] {
  return [...Array(POINTS_PER_STEP).keys()].map((i): MetricPoint => ({
    measurement: i % 5 === 0 ? "traffic" : "modbus",
    tags: i % 5 === 0 ? { src_zone: "enterprise", dst_zone: `cell${i}`, protocol: "modbus" } : { channel: `10.0.1.${i}→10.0.2.10/1`, server: "10.0.2.10", fc: String(1 + (i % 4)), fc_name: "fc" },
    fields: i % 5 === 0 ? { packets: step * 100 + i, bytes: step * 6400 + i } : { requests: step + i, exceptions: i % 3, rtt_p50: (step + 1) * 0.0001, rtt_p95: (i + 1) * 0.001 },
    time: (T0 + step * 10) * 1e6,
  }));
}

function stepAnomalies(step: number) {
  return [...Array(ANOMALIES_PER_STEP).keys()].map((k) => {
    const i = step * ANOMALIES_PER_STEP + k;
    return anomaly(i, T0 + step * 10 + k, SEVERITIES[i % 4] as Severity, KINDS[(i >> 2) % 4] as string);
  });
}

let influxd: InfluxdHandle;
let broker: MosquittoHandle;

beforeAll(async () => {
  influxd = await withInfluxd();
  broker = await withMosquitto({ persistence: true });
});
afterAll(async () => {
  await influxd?.stop();
  await broker?.stop();
  removeTempDirs();
});

interface RunResult {
  rows: InfluxRow[];
  messages: { topic: string; payload: Record<string, unknown> }[];
  influx: ReturnType<InfluxSink["counters"]>;
  mqtt: ReturnType<MqttSink["counters"]>;
}

async function run(name: string, outage: boolean): Promise<RunResult> {
  // Persistent session (clean: false, QoS 1): the broker keeps this subscriber's queue across its own restart.
  const sub: MqttClient = await connectAsync(broker.url, { clientId: `sub-${name}`, clean: false, reconnectPeriod: 100 });
  const messages: { topic: string; payload: Record<string, unknown> }[] = [];
  sub.on("message", (topic, payload) => messages.push({ topic, payload: JSON.parse(payload.toString()) as Record<string, unknown> }));
  await sub.subscribeAsync(`otwatch/${name}/anomalies/#`, { qos: 1 });
  const log = (): void => undefined;
  const influx = new InfluxSink({ url: `${influxd.url}/${name}`, spoolDir: tempDir(), log, backoffMinMs: 50, backoffMaxMs: 200 });
  const mqtt = new MqttSink({ url: broker.url, site: name, spoolDir: tempDir(), log, reconnectPeriodMs: 100, backoffMinMs: 50, backoffMaxMs: 200 });
  for (let step = 0; step < STEPS; step++) {
    if (outage && step === STEPS / 3) await Promise.all([influxd.stop(), broker.stop()]);
    if (outage && step === (2 * STEPS) / 3) await Promise.all([influxd.restart(), broker.restart()]);
    influx.write(stepPoints(step));
    for (const a of stepAnomalies(step)) mqtt.publishAnomaly(a);
    await new Promise((r) => setTimeout(r, STEP_MS));
  }
  expect(await influx.flush(30_000)).toBe(true);
  expect(await mqtt.flush(30_000)).toBe(true);
  const total = STEPS * ANOMALIES_PER_STEP;
  const deadline = Date.now() + 20_000;
  while (new Set(messages.map((m) => m.payload.id)).size < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const result: RunResult = { rows: [], messages, influx: influx.counters(), mqtt: mqtt.counters() };
  await Promise.all([influx.close(), mqtt.close()]);
  await sub.endAsync();
  for (const m of ["modbus", "traffic"]) result.rows.push(...(await influxQuery(influxd.url, name, `SELECT * FROM "${m}" GROUP BY *`)));
  return result;
}

describe("outage of the real influxd and mosquitto in the middle of a stream", () => {
  it("delivers every point and every anomaly, in order, equal to a run without the outage", async () => {
    const base = await run("base", false);
    const out = await run("outage", true);
    const nPoints = STEPS * POINTS_PER_STEP;
    const nAnomalies = STEPS * ANOMALIES_PER_STEP;

    expect(base.rows.length).toBe(nPoints);
    expect(out.rows.length).toBe(nPoints);
    expect(out.rows).toEqual(base.rows);
    expect(out.influx).toMatchObject({ written: nPoints, dropped: 0, depth: 0 });
    expect(out.influx.spooled).toBeGreaterThan(0);
    expect(out.influx.retries).toBeGreaterThan(0);

    // QoS 1 is at-least-once: a message whose PUBACK died with the broker may come twice. Order of first arrivals must
    // be the sending order and nothing may be missing.
    const firsts = (r: RunResult) => {
      const seen = new Set<unknown>();
      return r.messages.filter((m) => !seen.has(m.payload.id) && seen.add(m.payload.id));
    };
    const expected = [...Array(STEPS).keys()].flatMap(stepAnomalies);
    expect(firsts(base).map((m) => m.payload)).toEqual(expected.map((a) => ({ ...a })));
    expect(firsts(out).map((m) => m.payload)).toEqual(expected.map((a) => ({ ...a })));
    expect(firsts(out).map((m) => m.topic.replace("/outage/", "/"))).toEqual(firsts(base).map((m) => m.topic.replace("/base/", "/")));
    expect(out.mqtt).toMatchObject({ written: nAnomalies, dropped: 0, depth: 0 });
    expect(out.mqtt.spooled).toBeGreaterThan(0);
    console.log(
      `outage test: ${nPoints} points (influx spooled ${out.influx.spooled}, retries ${out.influx.retries}), ` +
        `${nAnomalies} anomalies (mqtt spooled ${out.mqtt.spooled}, retries ${out.mqtt.retries}, ` +
        `received ${out.messages.length}, duplicates ${out.messages.length - nAnomalies}); without outage: received ${base.messages.length}`,
    );
  });
});
