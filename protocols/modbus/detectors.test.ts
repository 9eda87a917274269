// Modbus analyzer: each detector fires on the deviation it names (kind, src, dst) and stays quiet on normal traffic; the
// loss-of-view timing follows packet time. Driven directly through observe/tick with a hand-made AnalyzerContext.
import { describe, expect, it } from "vitest";
import type { Analyzer, AnomalyDraft } from "../../src/detect/types.ts";
import type { ModbusTransactionEvent } from "./events.ts";
import { createModbusAnalyzer, ADDRESS_SWEEP_MIN, FLOOD_FLOOR, FUNCTION_SWEEP_MIN } from "./detectors.ts";
import { analyzerContext, byTime, modbusEvent, modbusPolls, modbusRead, modbusWrite, seededRandom } from "../../test/fixtures/ot-events.ts";

const HMI = "192.168.7.10";
const EWS = "192.168.7.11";
const PLC = "192.168.8.20";
const PLC2 = "192.168.8.21";
const LEARN = 1800;
const T0 = 1_700_000_000;
const END = T0 + LEARN;

/** Normal plant: HMI polls holding registers 100x10 every 1 s and discrete inputs 0x16 every 5 s on two PLCs, writes a
 * setpoint now and then. */
function normal(from: number, to: number, seed = 1): ModbusTransactionEvent[] {
  const polls = [PLC, PLC2].flatMap((plc, i) => [
    modbusPolls({ src: HMI, dst: plc, unit: i + 1, fc: 3, address: 100, quantity: 10, period: 1, jitter: 0.15, miss: 0.02, seed: seed + i }, from, to),
    modbusPolls({ src: HMI, dst: plc, unit: i + 1, fc: 2, address: 0, quantity: 16, period: 5, jitter: 0.1, seed: seed + 7 + i }, from, to),
  ]);
  const writes: ModbusTransactionEvent[] = [];
  const values = [40, 55, 62, 48, 51, 44];
  for (let k = 0, t = from + 137; t < to; t += 420 + 97 * (k % 3), k++) writes.push(modbusWrite(t, HMI, PLC, 1, 6, 300, [values[k % values.length] ?? 50]));
  return byTime(...polls, writes);
}

function learnedAnalyzer(extra: ModbusTransactionEvent[] = []): Analyzer {
  const a = createModbusAnalyzer();
  for (const e of byTime(normal(T0, END), extra)) a.observe(e, analyzerContext("learning", e.ts, LEARN, e.ts - T0));
  a.endLearning?.(analyzerContext("detecting", END, LEARN));
  return a;
}

/** Feeds events in detection with a tick every second of packet time; returns every draft. */
function detect(a: Analyzer, events: ModbusTransactionEvent[], until?: number): AnomalyDraft[] {
  const out: AnomalyDraft[] = [];
  let nextTick = Math.floor(events[0]?.ts ?? END) + 1;
  const tickTo = (ts: number): void => {
    for (; nextTick <= ts; nextTick++) out.push(...(a.tick?.(analyzerContext("detecting", nextTick, LEARN)) ?? []));
  };
  for (const e of events) {
    tickTo(e.ts);
    out.push(...(a.observe(e, analyzerContext("detecting", e.ts, LEARN)) ?? []));
  }
  tickTo(until ?? (events[events.length - 1]?.ts ?? END));
  return out;
}

const kinds = (ds: AnomalyDraft[]): string[] => [...new Set(ds.map((d) => d.kind))].sort();

describe("modbus analyzer on normal traffic", () => {
  it("stays quiet on another hour of the same plant (jitter, missed polls, new setpoint values in range)", () => {
    const a = learnedAnalyzer();
    const ds = detect(a, normal(END, END + 3600, 99));
    expect(ds).toEqual([]);
  });

  it("stays quiet when the HMI reconnects from a new port (same channel)", () => {
    const a = learnedAnalyzer();
    const later = normal(END, END + 120, 5).map((e) => ({ ...e, sport: 60001, flow: "F9" }));
    expect(detect(a, later)).toEqual([]);
  });
});

describe("modbus learning mode", () => {
  it("reports nothing while learning, whatever the traffic", () => {
    const a = createModbusAnalyzer();
    const evs = [modbusWrite(T0 + 1, HMI, PLC, 1, 6, 300, [900]), modbusEvent({ ts: T0 + 2, src: EWS, dst: PLC, unit: 1, fc: 8, req: { subFunction: 1 } })];
    expect(evs.map((e) => a.observe(e, analyzerContext("learning", e.ts, LEARN, e.ts - T0)))).toEqual([undefined, undefined]);
    expect(a.tick?.(analyzerContext("learning", T0 + 500, LEARN, 500))).toBeUndefined();
  });
});

describe("modbus write checks", () => {
  it("write-out-of-range: a setpoint far outside the learned values, naming the learned range", () => {
    const ds = detect(learnedAnalyzer(), [modbusWrite(END + 10, HMI, PLC, 1, 6, 300, [900])]);
    expect(ds).toHaveLength(1);
    const d = ds[0] as AnomalyDraft;
    expect([d.kind, d.src, d.dst, d.severity]).toEqual(["modbus.write-out-of-range", HMI, PLC, "high"]);
    expect(d.attack).toContain("T0836");
    expect(d.summary).toContain("holding register 300 on unit 1 of 192.168.8.20 with 900");
    expect(d.summary).toContain("40..62");
    expect(d.summary).toContain("30 min of learning");
  });

  it("write-out-of-range stays quiet for a first-time value inside the learned range and margin", () => {
    expect(detect(learnedAnalyzer(), [modbusWrite(END + 10, HMI, PLC, 1, 6, 300, [35]), modbusWrite(END + 20, HMI, PLC, 1, 6, 300, [70])])).toEqual([]);
  });

  it("write-out-of-range compares negative int16 values in the signed view", () => {
    const neg = [65530, 65520, 65525].map((v, i) => modbusWrite(T0 + 100 + i * 300, HMI, PLC, 1, 6, 500, [v]));
    const a = learnedAnalyzer(neg);
    expect(detect(a, [modbusWrite(END + 5, HMI, PLC, 1, 6, 500, [65510])])).toEqual([]);
    expect(kinds(detect(a, [modbusWrite(END + 6, HMI, PLC, 1, 6, 500, [30000])]))).toEqual(["modbus.write-out-of-range"]);
  });

  it("write-new-address: a coil never written, on a known channel, with a new function code", () => {
    const ds = detect(learnedAnalyzer(), [modbusWrite(END + 10, HMI, PLC2, 2, 5, 12, [1])]);
    expect(kinds(ds)).toEqual(["modbus.new-function-code", "modbus.write-new-address"]);
    const w = ds.find((d) => d.kind === "modbus.write-new-address") as AnomalyDraft;
    expect([w.src, w.dst]).toEqual([HMI, PLC2]);
    expect(w.summary).toContain("wrote coil 12 on unit 2 of 192.168.8.21 with 1; during 30 min of learning it only wrote nothing");
    const f = ds.find((d) => d.kind === "modbus.new-function-code") as AnomalyDraft;
    expect(f.severity).toBe("high");
    expect(f.summary).toContain("it used only FC2, FC3");
  });

  it("write-new-address names the registers the channel did write", () => {
    const ds = detect(learnedAnalyzer(), [modbusWrite(END + 10, HMI, PLC, 1, 6, 301, [50])]);
    expect(kinds(ds)).toEqual(["modbus.write-new-address"]);
    expect(ds[0]?.summary).toContain("it only wrote holding registers 300");
  });
});

describe("modbus function-code checks", () => {
  it("new-function-code for a read code fires at medium; a learned code stays quiet", () => {
    const ds = detect(learnedAnalyzer(), [modbusRead(END + 1, HMI, PLC, 1, 4, 0, 4), modbusRead(END + 2, HMI, PLC, 1, 3, 100, 10)]);
    expect(ds.map((d) => [d.kind, d.severity, d.src, d.dst])).toEqual([["modbus.new-function-code", "medium", HMI, PLC]]);
  });

  it("restart, listen-only and other diagnostics are told apart", () => {
    const fc8 = (ts: number, sub: number): ModbusTransactionEvent => modbusEvent({ ts, src: HMI, dst: PLC, unit: 1, fc: 8, req: { subFunction: sub } });
    const ds = detect(learnedAnalyzer(), [fc8(END + 1, 1), fc8(END + 2, 4), fc8(END + 3, 10)]);
    expect(ds.map((d) => [d.kind, d.severity])).toEqual([["modbus.restart", "critical"], ["modbus.listen-only", "critical"], ["modbus.diagnostics", "medium"]]);
    expect(ds[1]?.attack).toEqual(["T0858", "T0814"]);
  });

  it("FC8 echo learned as a heartbeat stays quiet; a new sub-function still fires", () => {
    const echo = (ts: number, sub: number): ModbusTransactionEvent => modbusEvent({ ts, src: HMI, dst: PLC, unit: 1, fc: 8, req: { subFunction: sub } });
    const a = learnedAnalyzer([echo(T0 + 50, 0), echo(T0 + 900, 0)]);
    expect(detect(a, [echo(END + 1, 0)])).toEqual([]);
    expect(kinds(detect(a, [echo(END + 2, 1)]))).toEqual(["modbus.restart"]);
  });

  it("device-identification (FC43/14) from a client that never asked; quiet when it was learned", () => {
    const fc43 = (ts: number, src: string): ModbusTransactionEvent => modbusEvent({ ts, src, dst: PLC, unit: 1, fc: 43, req: { mei: 14, readDeviceId: 1, objectId: 0 } });
    const ds = detect(learnedAnalyzer(), [fc43(END + 1, HMI)]);
    expect(ds.map((d) => [d.kind, d.src, d.dst, d.attack.join()])).toEqual([["modbus.device-identification", HMI, PLC, "T0888"]]);
    const a = learnedAnalyzer([fc43(T0 + 60, HMI)]);
    expect(detect(a, [fc43(END + 1, HMI)])).toEqual([]);
  });

  it("programming/vendor code 90 fires critical; quiet when the channel used it while learning", () => {
    const umas = (ts: number): ModbusTransactionEvent => modbusEvent({ ts, src: HMI, dst: PLC, unit: 1, fc: 90, req: { data: "0002" } });
    const ds = detect(learnedAnalyzer(), [umas(END + 1)]);
    expect(ds.map((d) => [d.kind, d.severity, d.src, d.dst])).toEqual([["modbus.programming", "critical", HMI, PLC]]);
    expect(ds[0]?.attack).toEqual(["T0843", "T0858"]);
    expect(detect(learnedAnalyzer([umas(T0 + 30), umas(T0 + 400)]), [umas(END + 1)])).toEqual([]);
  });
});

describe("modbus new channels, rates and sweeps", () => {
  it("new-channel: a host that never was a Modbus client reads a PLC (high); repeats are gated", () => {
    const evs = [0, 1, 2].map((i) => modbusRead(END + 1 + i, "10.99.0.5", PLC, 1, 3, 100, 10));
    const ds = detect(learnedAnalyzer(), evs);
    expect(ds.map((d) => [d.kind, d.severity, d.src, d.dst])).toEqual([["modbus.new-channel", "high", "10.99.0.5", PLC]]);
    expect(ds[0]?.summary).toContain("only 192.168.7.10 used it");
  });

  it("new-channel: a client in an IT zone (level 4) is critical and says so", () => {
    const a = learnedAnalyzer();
    const ctx = { ...analyzerContext("detecting", END + 1, LEARN), zoneOf: (ip: string) => (ip === "10.99.0.5" ? { name: "enterprise", level: 4 } : { name: "control", level: 1 }) };
    const ds = a.observe(modbusRead(END + 1, "10.99.0.5", PLC, 1, 3, 100, 10), ctx) ?? [];
    expect(ds.map((d) => [d.kind, d.severity])).toEqual([["modbus.new-channel", "critical"]]);
    expect(ds[0]?.summary).toContain("10.99.0.5 (zone enterprise, level 4) sent read holding registers");
  });

  it("new-channel: a known client on a new unit is medium", () => {
    const ds = detect(learnedAnalyzer(), [modbusRead(END + 1, HMI, PLC, 7, 3, 100, 10)]);
    expect(ds.map((d) => [d.kind, d.severity])).toEqual([["modbus.new-channel", "medium"]]);
  });

  it("exception-burst fires on many exceptions; a couple stay quiet", () => {
    const exc = (i: number): ModbusTransactionEvent => modbusEvent({ ts: END + 1 + i * 0.5, src: HMI, dst: PLC, unit: 1, fc: 3, status: "exception", exception: 2, req: { address: 100, quantity: 10 } });
    expect(detect(learnedAnalyzer(), [exc(0), exc(1)])).toEqual([]);
    const ds = detect(learnedAnalyzer(), Array.from({ length: 15 }, (_, i) => exc(i)));
    expect(ds.map((d) => [d.kind, d.src, d.dst])).toEqual([["modbus.exception-burst", HMI, PLC]]);
  });

  it("request-flood fires when the rate jumps far above the learned peak, not before", () => {
    const flood = Array.from({ length: 400 }, (_, i) => modbusRead(END + 20 + i * 0.01, HMI, PLC, 1, 3, 100, 5));
    const ds = detect(learnedAnalyzer(), byTime(normal(END, END + 30, 3), flood));
    expect(ds.map((d) => [d.kind, d.src, d.dst, d.severity])).toEqual([["modbus.request-flood", HMI, PLC, "high"]]);
    const mild = Array.from({ length: FLOOD_FLOOR / 2 }, (_, i) => modbusRead(END + 20 + i * 0.05, HMI, PLC, 1, 3, 100, 5));
    expect(detect(learnedAnalyzer(), byTime(normal(END, END + 30, 3), mild))).toEqual([]);
  });

  it("unit-sweep: one client probes many unit ids of a server", () => {
    const evs = Array.from({ length: 8 }, (_, i) => modbusEvent({ ts: END + 1 + i * 0.2, src: EWS, dst: PLC, unit: 10 + i, fc: 3, status: "exception", exception: 11, req: { address: 0, quantity: 1 } }));
    const ds = detect(learnedAnalyzer(), evs);
    expect(kinds(ds)).toEqual(["modbus.new-channel", "modbus.unit-sweep"]);
    const s = ds.find((d) => d.kind === "modbus.unit-sweep") as AnomalyDraft;
    expect([s.src, s.dst]).toEqual([EWS, PLC]);
    // Two new units are a new channel each, not a sweep.
    const two = [modbusRead(END + 1, HMI, PLC, 5, 3, 100, 10), modbusRead(END + 2, HMI, PLC, 6, 3, 100, 10)];
    expect(kinds(detect(learnedAnalyzer(), two))).toEqual(["modbus.new-channel"]);
  });

  it("function-code-sweep: many unlearned codes are reported as one sweep, not one anomaly per code", () => {
    const evs = Array.from({ length: 40 }, (_, i) => modbusEvent({ ts: END + 1 + i * 0.5, src: HMI, dst: PLC, unit: 1, fc: 60 + i, status: "exception", exception: 1 }));
    const ds = detect(learnedAnalyzer(), evs);
    const sweep = ds.filter((d) => d.kind === "modbus.function-code-sweep");
    expect(sweep.map((d) => [d.src, d.dst])).toEqual([[HMI, PLC]]);
    expect(ds.filter((d) => d.kind === "modbus.new-function-code" || d.kind === "modbus.programming").length).toBeLessThan(FUNCTION_SWEEP_MIN);
  });

  it("address-sweep: a known client reads many addresses it never read; its normal reads stay quiet", () => {
    const evs = Array.from({ length: ADDRESS_SWEEP_MIN + 5 }, (_, i) => modbusRead(END + 1 + i * 0.3, HMI, PLC, 1, 3, 2000 + i * 10, 10));
    const ds = detect(learnedAnalyzer(), evs);
    expect(ds.map((d) => [d.kind, d.src, d.dst])).toEqual([["modbus.address-sweep", HMI, PLC]]);
    // A new HMI screen reading a few new blocks, among the usual polls, is not a sweep.
    const screen = Array.from({ length: 6 }, (_, i) => modbusRead(END + 100 + i, HMI, PLC, 1, 3, 3000 + i * 50, 20));
    expect(detect(learnedAnalyzer(), byTime(normal(END + 90, END + 160, 8), screen))).toEqual([]);
  });
});

describe("modbus loss of view (packet time)", () => {
  it("fires once when every learned poll of a channel stays silent past max(5·P, 1.5·p99, 30 s), clears on resume", () => {
    const a = learnedAnalyzer();
    const stop = END + 60;
    const before = normal(END, stop, 11);
    const lastPoll = Math.max(...before.filter((e) => e.dst === PLC2).map((e) => e.ts));
    const others = normal(stop, stop + 300, 12).filter((e) => e.dst !== PLC2);
    const resumed = normal(stop + 300, stop + 400, 13);
    const ds = detect(a, byTime(before, others, resumed));
    expect(ds).toHaveLength(1);
    const d = ds[0] as AnomalyDraft;
    expect([d.kind, d.src, d.dst, d.severity, d.attack.join()]).toEqual(["modbus.loss-of-view", HMI, PLC2, "high", "T0829"]);
    // FC3 every 1 s and FC2 every 5 s: 5·P ≤ 30 s for both, so the 30 s floor after the last poll of either applies.
    expect(d.ts).toBeGreaterThan(lastPoll + 30);
    expect(d.ts).toBeLessThanOrEqual(lastPoll + 31);
    expect(d.summary).toContain("stopped polling unit 2 of 192.168.8.21");
    // A second outage after polling resumed fires again.
    const again = detect(a, normal(stop + 400, stop + 420, 14).filter((e) => e.dst === PLC2), stop + 600);
    expect(kinds(again)).toEqual(["modbus.loss-of-view"]);
  });

  it("fires when the server stops answering while the client keeps polling (requests time out)", () => {
    const a = learnedAnalyzer();
    const stop = END + 60;
    const evs = normal(END, END + 200, 15).map((e) =>
      e.dst === PLC && e.ts > stop ? modbusEvent({ ts: e.ts, src: e.src, dst: e.dst, unit: e.unit, fc: e.fc, status: "timeout", req: e.request ?? {} }) : e);
    const ds = detect(a, evs);
    expect(ds.map((d) => [d.kind, d.src, d.dst])).toEqual([["modbus.loss-of-view", HMI, PLC]]);
    expect(ds[0]?.summary).toContain("unit 1 of 192.168.8.20 stopped answering 192.168.7.10");
    expect(ds[0]?.evidence.reason).toBe("no-answer");
  });

  it("stays quiet when one poll of the channel stops but another continues (an HMI screen change)", () => {
    const a = learnedAnalyzer();
    const evs = normal(END, END + 600, 21).filter((e) => !(e.dst === PLC2 && e.fc === 3 && e.ts > END + 30));
    expect(detect(a, evs)).toEqual([]);
  });

  it("poll-period-change: the poll slows from 1 s to 5 s", () => {
    const a = learnedAnalyzer();
    const slow = modbusPolls({ src: HMI, dst: PLC, unit: 1, fc: 3, address: 100, quantity: 10, period: 5, jitter: 0.05 }, END, END + 200);
    const rest = normal(END, END + 200, 31).filter((e) => !(e.dst === PLC && e.fc === 3));
    const ds = detect(a, byTime(slow, rest));
    expect(ds.map((d) => [d.kind, d.src, d.dst])).toEqual([["modbus.poll-period-change", HMI, PLC]]);
  });

  it("does not fire right after a baseline import, even though the last learned poll is from another capture", () => {
    const src = learnedAnalyzer();
    const b = createModbusAnalyzer();
    b.importModel(JSON.parse(JSON.stringify(src.exportModel())));
    const day2 = T0 + 86_400;
    // The sensor starts 90 s before the HMI polls: no loss of view for polls not yet seen in this capture.
    expect(detect(b, normal(day2 + 90, day2 + 200, 41), day2 + 200)).toEqual([]);
    const b2 = createModbusAnalyzer();
    b2.importModel(JSON.parse(JSON.stringify(src.exportModel())));
    b2.tick?.(analyzerContext("detecting", day2, LEARN));
    const ds = detect(b2, normal(day2 + 90, day2 + 200, 41).filter((e) => e.dst !== PLC2 || e.ts < day2 + 120), day2 + 199);
    expect(ds.map((d) => [d.kind, d.dst])).toEqual([["modbus.loss-of-view", PLC2]]);
  });
});

describe("modbus model", () => {
  it("exports sorted, versioned JSON that survives export → import → export", () => {
    const a = learnedAnalyzer([modbusRead(T0 + 77, HMI, PLC, 1, 4, 9, 1)]);
    const m = a.exportModel() as { version: number; channels: Record<string, { reads: unknown; polls: Record<string, { period: number; armed: boolean }> }> };
    expect(m.version).toBe(1);
    const ch = m.channels[`${HMI}|${PLC}|1`];
    expect(ch?.reads).toEqual({ "discrete-inputs": [[0, 15]], "holding-registers": [[100, 109]], "input-registers": [[9, 9]] });
    expect(ch?.polls["4:9:1"]).toEqual({ armed: false, dispersion: 0, p99: 0, period: 0, samples: 0 });
    expect(ch?.polls["3:100:10"]?.armed).toBe(true);
    expect(ch?.polls["3:100:10"]?.period).toBeCloseTo(1, 1);
    expect(ch?.polls["2:0:16"]?.period).toBeCloseTo(5, 0);
    const text = JSON.stringify(m);
    const b = createModbusAnalyzer();
    b.importModel(JSON.parse(text));
    expect(JSON.stringify(b.exportModel())).toBe(text);
    expect(Object.keys(m.channels)).toEqual([...Object.keys(m.channels)].sort());
    expect(kinds(detect(b, [modbusWrite(END + 5, HMI, PLC, 1, 6, 300, [900])]))).toEqual(["modbus.write-out-of-range"]);
  });

  it("rejects a bad model with the field and the reason", () => {
    const a = createModbusAnalyzer();
    const m = learnedAnalyzer().exportModel() as { channels: Record<string, { unit: unknown }> };
    const first = Object.values(m.channels)[0];
    if (first) first.unit = "one";
    expect(() => a.importModel(m)).toThrow(/channels\..*\.unit/);
    expect(() => a.importModel({ version: 99 })).toThrow(/version/);
  });

  it("accept folds a new written address into the baseline", () => {
    const a = learnedAnalyzer();
    const [d] = detect(a, [modbusWrite(END + 10, HMI, PLC, 1, 6, 301, [50])]);
    expect(d?.kind).toBe("modbus.write-new-address");
    const ok = a.accept?.({ id: "x", ts: new Date((END + 10) * 1000).toISOString(), kind: d?.kind ?? "", severity: "high", src: HMI, dst: PLC, protocol: "modbus", summary: "", attack: "", evidence: JSON.stringify(d?.evidence), count: 1, first_seen: "", last_seen: "", src_zone: "", dst_zone: "" });
    expect(ok).toBe(true);
    expect(detect(a, [modbusWrite(END + 100, HMI, PLC, 1, 6, 301, [52])])).toEqual([]);
  });
});

describe("modbus analyzer on odd input", () => {
  it("never throws on events with missing, extreme or inconsistent fields, in either mode", () => {
    const rnd = seededRandom(42);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const a = createModbusAnalyzer();
    const odd = [undefined, -1, 0, 1, 65535, 70000, Number.NaN, 2 ** 31];
    let drafts = 0;
    for (let i = 0; i < 3000; i++) {
      const ts = T0 + i * 0.7;
      const e = modbusEvent({
        ts, src: pick([HMI, EWS, "::1", ""]), dst: pick([PLC, PLC2]), unit: pick([0, 1, 255, 300]), fc: pick([1, 3, 5, 6, 8, 15, 16, 22, 23, 43, 90, 127, 0]),
        status: pick(["ok", "exception", "timeout", "unsolicited"] as const),
        req: { address: pick(odd), quantity: pick(odd), values: pick([undefined, [], [1, Number.NaN, 3], Array<number>(2500).fill(7)]), subFunction: pick(odd), mei: pick([13, 14, undefined]), readAddress: pick(odd), writeAddress: pick(odd) },
      });
      const mode = i < 1500 ? "learning" : "detecting";
      if (i === 1500) a.endLearning?.(analyzerContext("detecting", ts, LEARN));
      drafts += a.observe(e, analyzerContext(mode, ts, LEARN, Math.min(ts - T0, LEARN)))?.length ?? 0;
      drafts += a.tick?.(analyzerContext(mode, ts, LEARN))?.length ?? 0;
    }
    expect(drafts).toBeGreaterThan(0);
    const b = createModbusAnalyzer();
    b.importModel(JSON.parse(JSON.stringify(a.exportModel())));
  });
});
