// Aggregator + protocol contributors: window boundaries in packet time, per-window Modbus/OPC UA aggregates computed by
// hand, traffic attributed at flow.end, anomaly points, assets, sensor rates, capped tag cardinality, schema conformance.
import { describe, expect, it } from "vitest";
import { createModbusMetrics } from "../../protocols/modbus/metrics.ts";
import { createOpcuaMetrics } from "../../protocols/opcua/metrics.ts";
import { T0, anomaly, modbusEvent, syntheticEvents, zoneOf } from "../../test/helpers/metric-fixtures.ts";
import { Counters } from "../core/counters.ts";
import { MetricsAggregator, type SensorSnapshot } from "./aggregator.ts";
import { MAX_TAG_VALUES, MEASUREMENTS, METRIC_WINDOW_S, OVERFLOW_TAG, continuousQueries, type MetricPoint } from "./schema.ts";

function run(events = syntheticEvents(60), extra?: (agg: MetricsAggregator) => void): { batches: MetricPoint[][]; counters: Counters } {
  const batches: MetricPoint[][] = [];
  const counters = new Counters();
  const agg = new MetricsAggregator({ zoneOf, onBatch: (p) => batches.push(p), contributors: [createModbusMetrics(), createOpcuaMetrics()], counters });
  for (const e of events) agg.observe(e);
  extra?.(agg);
  agg.flush();
  return { batches, counters };
}

const nearestRank = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.ceil(p * s.length) - 1] as number;
};

describe("MetricsAggregator", () => {
  it("emits one batch per 10 s window of packet time, timestamped at the window start", () => {
    const { batches, counters } = run();
    expect(METRIC_WINDOW_S).toBe(10);
    expect(batches.length).toBe(6);
    batches.forEach((b, i) => {
      for (const p of b) expect(p.time).toBe((T0 + i * 10) * 1e6);
    });
    expect(counters.get("metrics.windows")).toBe(6);
  });

  it("aggregates Modbus per channel and function code: requests, exceptions, timeouts, writes, p50/p95", () => {
    const { batches } = run();
    const w0 = batches[0] as MetricPoint[];
    const fc3 = w0.find((p) => p.measurement === "modbus" && p.tags.fc === "3");
    const rtts = [...Array(20).keys()].filter((k) => k !== 10).map((k) => 0.001 + (k % 13) * 0.0005);
    expect(fc3?.tags).toEqual({ channel: "10.0.1.5→10.0.2.10/1", server: "10.0.2.10", fc: "3", fc_name: "Read Holding Registers" });
    expect(fc3?.fields).toEqual({
      requests: 20, exceptions: 2, timeouts: 1, unsolicited: 0, writes: 0,
      rtt_p50: nearestRank(rtts, 0.5), rtt_p95: nearestRank(rtts, 0.95), rtt_max: Math.max(...rtts),
    });
    const fc6 = w0.find((p) => p.measurement === "modbus" && p.tags.fc === "6");
    expect(fc6?.fields).toMatchObject({ requests: 2, writes: 2, exceptions: 0, rtt_p50: 0.004 });
  });

  it("aggregates OPC UA per channel, service and security mode", () => {
    const { batches } = run();
    const w0 = batches[0] as MetricPoint[];
    const read = w0.filter((p) => p.measurement === "opcua");
    expect(read.length).toBe(1);
    expect(read[0]?.tags).toEqual({ channel: "10.0.1.7→10.0.2.20", server: "10.0.2.20", service: "Read", security_mode: "None" });
    // calls at k = 0,2,…,18 → 10; fault when (k/2) % 9 === 8 → k = 16
    expect(read[0]?.fields).toMatchObject({ calls: 10, faults: 1, timeouts: 0 });
  });

  it("attributes a flow's traffic to the window of its flow.end, zones through zoneOf", () => {
    const { batches } = run();
    const traffic = batches.flatMap((b) => b.filter((p) => p.measurement === "traffic"));
    expect(traffic.map((p) => p.time)).toEqual([T0 * 1e6, (T0 + 30) * 1e6]);
    expect(traffic[0]?.fields).toMatchObject({ flows_started: 1, flows: 0, bytes: 0 });
    expect(traffic[1]?.tags).toEqual({ src_zone: "enterprise", dst_zone: "control", protocol: "modbus" });
    expect(traffic[1]?.fields).toEqual({ packets: 282, bytes: 20430, bytes_to_server: 9230, bytes_to_client: 11200, flows: 1, flows_started: 0, flows_rejected: 0 });
  });

  it("writes one point per anomaly at its packet time, never two at one instant in one series", () => {
    const { batches } = run(syntheticEvents(20), (agg) => {
      agg.observeAnomaly(anomaly(1, T0 + 12.5));
      agg.observeAnomaly(anomaly(2, T0 + 12.5));
    });
    const an = batches.flat().filter((p) => p.measurement === "anomalies");
    expect(an.map((p) => p.time)).toEqual([(T0 + 12.5) * 1e6, (T0 + 12.5) * 1e6 + 1]);
    expect(an[0]?.tags).toEqual({ kind: "modbus.new-function-code", severity: "high", protocol: "modbus", src_zone: "enterprise", dst_zone: "control" });
    expect(an[0]?.fields).toEqual({ id: "A000001", summary: anomaly(1, 0).summary, src: "10.0.1.5", dst: "10.0.2.10", attack: "T0836,T0855", count: 2 });
  });

  it("reports assets by zone/role/vendor with new ones per window, and sensor rates from cumulative counters", () => {
    const batches: MetricPoint[][] = [];
    let packets = 0;
    const sensor = (): SensorSnapshot => ({ packets, bytes: packets * 100, captureDrops: 0, flowsActive: 3, memoryRss: 5e7, memoryHeap: 2e7, learningProgress: 0.25, spoolDepth: 0, droppedPoints: 0 });
    const assets = [
      { ip: "10.0.2.10", zone: "control", role: "plc", vendor: "Schneider", firstSeen: T0 + 1 },
      { ip: "10.0.2.11", zone: "control", role: "plc", vendor: "Schneider", firstSeen: T0 + 15 },
    ];
    const agg = new MetricsAggregator({ zoneOf, onBatch: (p) => batches.push(p), sensor, assets: () => assets });
    for (let k = 0; k < 20; k++) {
      packets += 50;
      agg.observe(modbusEvent(T0 + k, k, 3, "ok", 0.001));
    }
    agg.flush();
    const a = batches.map((b) => b.find((p) => p.measurement === "assets")?.fields);
    expect(a).toEqual([{ count: 2, new: 1 }, { count: 2, new: 1 }]);
    const s = batches.map((b) => b.find((p) => p.measurement === "sensor")?.fields);
    // Window 0 closes at the event of T0+10 (packets = 550), window 1 at flush (1000).
    expect(s[0]).toMatchObject({ packets_per_s: 55, bytes_per_s: 5500, events: 10, learning_progress: 0.25, flows_active: 3 });
    expect(s[1]).toMatchObject({ packets_per_s: 45, events: 10 });
  });

  it("caps host-derived tags: channels beyond MAX_TAG_VALUES become 'other' and are counted", () => {
    const events = [];
    for (let i = 0; i < MAX_TAG_VALUES + 5; i++) events.push({ ...modbusEvent(T0 + 1, i, 3, "ok", 0.001), src: `10.9.${i >> 8}.${i & 255}` });
    const { batches, counters } = run(events);
    const modbus = (batches[0] as MetricPoint[]).filter((p) => p.measurement === "modbus");
    expect(modbus.length).toBe(MAX_TAG_VALUES + 1);
    expect(modbus.find((p) => p.tags.channel === OVERFLOW_TAG)?.fields.requests).toBe(5);
    expect(counters.get("metrics.tag.overflow")).toBe(5);
  });

  it("every point matches the schema module (declared tags and fields, right types); CQs cover the measurements", () => {
    const { batches } = run(syntheticEvents(60), (agg) => agg.observeAnomaly(anomaly(1, T0 + 3)));
    for (const p of batches.flat()) {
      const spec = MEASUREMENTS.find((m) => m.name === p.measurement);
      expect(spec, p.measurement).toBeDefined();
      for (const t of Object.keys(p.tags)) expect(Object.keys(spec?.tags ?? {}), `${p.measurement}.${t}`).toContain(t);
      for (const [f, v] of Object.entries(p.fields)) {
        expect(spec?.fields[f]?.type, `${p.measurement}.${f}`).toBe(typeof v === "string" ? "string" : "float");
      }
    }
    const cqs = continuousQueries("otwatch").map((c) => c.name);
    expect(cqs).toEqual(MEASUREMENTS.map((m) => `cq_${m.name}_5m`));
  });
});
