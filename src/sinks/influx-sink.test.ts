// InfluxDB sink against a real influxd: schema (database, retention policies, continuous queries), aggregator points
// read back equal, spool across a sink restart with influxd down, invalid batches dropped and counted, write rate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModbusMetrics } from "../../protocols/modbus/metrics.ts";
import { createOpcuaMetrics } from "../../protocols/opcua/metrics.ts";
import { T0, anomaly, syntheticEvents, zoneOf } from "../../test/helpers/metric-fixtures.ts";
import { influxQuery, removeTempDirs, tempDir, withInfluxd } from "../../test/helpers/servers.ts";
import { MetricsAggregator } from "../metrics/aggregator.ts";
import { MEASUREMENTS, RP_LONG, RP_RAW, type MetricPoint } from "../metrics/schema.ts";
import type { InfluxdHandle } from "../services/influxd.ts";
import { InfluxSink } from "./influx-sink.ts";

let influxd: InfluxdHandle;
const logs: string[] = [];
const log = (m: string): void => void logs.push(m);

beforeAll(async () => {
  influxd = await withInfluxd();
});
afterAll(async () => {
  await influxd?.stop();
  removeTempDirs();
});

const sortRows = <T extends { measurement: string; time: number; tags: Record<string, string> }>(rows: T[]): T[] =>
  [...rows].sort((a, b) => a.measurement.localeCompare(b.measurement) || a.time - b.time || JSON.stringify(a.tags).localeCompare(JSON.stringify(b.tags)));

describe("InfluxSink (real influxd)", () => {
  it("creates the database, raw (default) and long retention policies and one continuous query per measurement", async () => {
    const sink = new InfluxSink({ url: `${influxd.url}/schema_db`, spoolDir: tempDir(), log });
    await sink.ensureSchema();
    await sink.ensureSchema(); // idempotent
    const rps = await influxQuery(influxd.url, "schema_db", "SHOW RETENTION POLICIES");
    const byName = Object.fromEntries(rps.map((r) => [r.fields.name, r.fields]));
    expect(byName[RP_RAW]).toMatchObject({ duration: "720h0m0s", default: true });
    expect(byName[RP_LONG]).toMatchObject({ duration: "8760h0m0s", default: false });
    const cqs = await influxQuery(influxd.url, "schema_db", "SHOW CONTINUOUS QUERIES");
    const names = cqs.filter((r) => r.measurement === "schema_db").map((r) => r.fields.name).sort();
    expect(names).toEqual(MEASUREMENTS.map((m) => `cq_${m.name}_5m`).sort());
    await sink.close();
    // Replays of old captures: infinite raw retention, applied to the existing policy.
    const replay = new InfluxSink({ url: `${influxd.url}/schema_db`, spoolDir: tempDir(), rawDuration: "INF", log });
    await replay.ensureSchema();
    const after = await influxQuery(influxd.url, "schema_db", "SHOW RETENTION POLICIES");
    expect(after.find((r) => r.fields.name === RP_RAW)?.fields).toMatchObject({ duration: "0s", default: true });
    await replay.close();
  });

  it("points from the aggregator read back from InfluxDB with equal tags, fields and times", async () => {
    const emitted: MetricPoint[] = [];
    const sink = new InfluxSink({ url: `${influxd.url}/agg_db`, spoolDir: tempDir(), log });
    const agg = new MetricsAggregator({
      zoneOf,
      contributors: [createModbusMetrics(), createOpcuaMetrics()],
      onBatch: (points) => {
        emitted.push(...points);
        sink.write(points);
      },
    });
    for (const e of syntheticEvents(60)) agg.observe(e);
    for (let i = 0; i < 5; i++) agg.observeAnomaly(anomaly(i, T0 + 20 + i));
    agg.flush();
    expect(await sink.flush(20_000)).toBe(true);
    expect(sink.counters()).toMatchObject({ written: emitted.length, dropped: 0, depth: 0 });
    const rows: { measurement: string; time: number; tags: Record<string, string>; fields: Record<string, number | string> }[] = [];
    for (const m of MEASUREMENTS) rows.push(...(await influxQuery(influxd.url, "agg_db", `SELECT * FROM "${m.name}" GROUP BY *`)));
    const expected = emitted.map((p) => ({ measurement: p.measurement, time: p.time, tags: { ...p.tags }, fields: { ...p.fields } }));
    expect(rows.length).toBe(emitted.length);
    expect(sortRows(rows)).toEqual(sortRows(expected));
    // One-off downsampling into the long RP (what the CQs do for live data): 5-minute sums of the raw windows.
    await sink.downsampleAll();
    const long = await influxQuery(influxd.url, "agg_db", `SELECT requests, writes FROM "${RP_LONG}"."modbus" WHERE fc = '3' GROUP BY *`);
    const raw = emitted.filter((p) => p.measurement === "modbus" && p.tags.fc === "3");
    expect(long.map((r) => r.fields.requests).reduce((a, b) => Number(a) + Number(b), 0)).toBe(raw.reduce((a, p) => a + Number(p.fields.requests), 0));
    expect(long.every((r) => r.time % (300 * 1e6) === 0)).toBe(true);
    await sink.close();
  });

  it("adds the configured fixed tags (site) to every point", async () => {
    const sink = new InfluxSink({ url: `${influxd.url}/site_db`, spoolDir: tempDir(), tags: { site: "plant 9" }, log });
    sink.write([{ measurement: "sensor", tags: {}, fields: { events: 5 }, time: T0 * 1e6 }]);
    expect(await sink.flush(10_000)).toBe(true);
    const rows = await influxQuery(influxd.url, "site_db", "SELECT * FROM sensor GROUP BY *");
    expect(rows).toEqual([{ measurement: "sensor", time: T0 * 1e6, tags: { site: "plant 9" }, fields: { events: 5 } }]);
    await sink.close();
  });

  it("escapes line protocol: tag values and string fields with spaces, commas, equals, quotes and backslashes", async () => {
    const sink = new InfluxSink({ url: `${influxd.url}/esc_db`, spoolDir: tempDir(), log });
    const tricky = 'a "b", c=d \\e';
    sink.write([
      {
        measurement: "anomalies",
        tags: { kind: "x,y=z w", severity: "high", protocol: "", src_zone: "zone 1", dst_zone: "z\\" },
        fields: { summary: tricky, id: "line1\nline2", count: 2.5, src: "1", dst: "2", attack: "", bad: Number.NaN },
        time: T0 * 1e6 + 7,
      },
    ]);
    expect(await sink.flush(10_000)).toBe(true);
    const rows = await influxQuery(influxd.url, "esc_db", 'SELECT * FROM anomalies GROUP BY *');
    expect(rows).toEqual([
      {
        measurement: "anomalies",
        time: T0 * 1e6 + 7,
        tags: { kind: "x,y=z w", severity: "high", protocol: "none", src_zone: "zone 1", dst_zone: "z/" },
        fields: { summary: tricky, id: "line1 line2", count: 2.5, src: "1", dst: "2", attack: "" },
      },
    ]);
    await sink.close();
  });

  it("keeps points in the spool while influxd is down and a new sink on the same spool delivers them", async () => {
    const spoolDir = tempDir();
    const points: MetricPoint[] = [...Array(500).keys()].map((i) => ({
      measurement: "sensor",
      tags: {},
      fields: { packets_per_s: i, learning_progress: i / 500 },
      time: (T0 + i * 10) * 1e6,
    }));
    await influxd.stop();
    const a = new InfluxSink({ url: `${influxd.url}/restart_db`, spoolDir, log, backoffMinMs: 20 });
    for (let i = 0; i < 500; i += 50) a.write(points.slice(i, i + 50));
    expect(await a.flush(300)).toBe(false);
    expect(a.counters()).toMatchObject({ written: 0, spooled: 500, depth: 500 });
    expect(a.counters().retries).toBeGreaterThan(0);
    await a.close();
    await influxd.restart();
    const b = new InfluxSink({ url: `${influxd.url}/restart_db`, spoolDir, log });
    expect(await b.flush(20_000)).toBe(true);
    expect(b.counters()).toMatchObject({ written: 500, depth: 0 });
    const rows = await influxQuery(influxd.url, "restart_db", "SELECT packets_per_s, learning_progress FROM sensor");
    expect(rows.map((r) => [r.time, r.fields.packets_per_s, r.fields.learning_progress])).toEqual(points.map((p) => [p.time, p.fields.packets_per_s, p.fields.learning_progress]));
    await b.close();
  });

  it("drops and counts a batch InfluxDB rejects (field type conflict) and goes on with the next", async () => {
    const sink = new InfluxSink({ url: `${influxd.url}/reject_db`, spoolDir: tempDir(), log });
    sink.write([{ measurement: "sensor", tags: {}, fields: { events: 1 }, time: T0 * 1e6 }]);
    expect(await sink.flush(10_000)).toBe(true);
    sink.write([{ measurement: "sensor", tags: {}, fields: { events: "not a number" }, time: (T0 + 10) * 1e6 }]);
    sink.write([{ measurement: "sensor", tags: {}, fields: { events: 3 }, time: (T0 + 20) * 1e6 }]);
    expect(await sink.flush(10_000)).toBe(true);
    expect(sink.counters()).toMatchObject({ written: 2, dropped: 1 });
    expect(logs.some((l) => l.includes("rejected"))).toBe(true);
    const rows = await influxQuery(influxd.url, "reject_db", "SELECT events FROM sensor");
    expect(rows.map((r) => r.fields.events)).toEqual([1, 3]);
    // Packet time older than the raw retention (an old capture): refused by InfluxDB, counted, and the log says why.
    sink.write([{ measurement: "sensor", tags: {}, fields: { events: 4 }, time: Date.UTC(2020, 0, 1) * 1000 }]);
    expect(await sink.flush(10_000)).toBe(true);
    expect(sink.counters()).toMatchObject({ written: 2, dropped: 2 });
    expect(logs.some((l) => l.includes("beyond retention") && l.includes('rawDuration "INF"'))).toBe(true);
    await sink.close();
  });

  it("writes at a useful rate (quick measurement, printed)", async () => {
    const sink = new InfluxSink({ url: `${influxd.url}/rate_db`, spoolDir: tempDir(), log });
    await sink.ensureSchema();
    const n = 50_000;
    const t = performance.now();
    for (let b = 0; b < n; b += 1000) {
      const batch: MetricPoint[] = [];
      for (let i = b; i < b + 1000; i++) {
        batch.push({
          measurement: "modbus",
          tags: { channel: `10.0.1.${i % 50}→10.0.2.10/1`, server: "10.0.2.10", fc: String(1 + (i % 4)), fc_name: "x" },
          fields: { requests: i % 97, exceptions: 0, timeouts: 0, unsolicited: 0, writes: 0, rtt_p50: 0.001, rtt_p95: 0.002, rtt_max: 0.003 },
          time: (T0 + Math.floor(i / 100) * 10) * 1e6, // 100 distinct series per timestamp: no overwrites
        });
      }
      sink.write(batch);
    }
    expect(await sink.flush(60_000)).toBe(true);
    const rate = n / ((performance.now() - t) / 1000);
    console.log(`influx sink: ${n} points in ${((performance.now() - t) / 1000).toFixed(2)} s = ${Math.round(rate)} points/s`);
    const rows = await influxQuery(influxd.url, "rate_db", "SELECT count(requests) FROM modbus");
    expect(rows[0]?.fields.count).toBe(n);
    expect(rate).toBeGreaterThan(5000);
    await sink.close();
  });
});
