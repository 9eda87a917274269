// Engine: learning → detection switch by packet time (never wall time), drafts dropped while learning unless alwaysOn,
// endLearning once, aggregation with count/first/last seen and the re-emit policy, deterministic ids, flat records.
import { describe, expect, it } from "vitest";
import { Counters } from "../core/counters.ts";
import type { EventBase } from "../core/types.ts";
import { DetectionEngine, parseDuration } from "./engine.ts";
import type { Analyzer, AnalyzerContext, Anomaly, AnomalyDraft } from "./types.ts";
import { ZoneMap } from "./zones.ts";
import { parseSiteConfig } from "../config/site.ts";

const T0 = 1_748_930_400; // 2025-06-03T06:00:00Z

/** Flags every event of type "probe"; marks it alwaysOn when the event says so; records its calls. */
class ProbeAnalyzer implements Analyzer {
  readonly name = "probe";
  endLearningCalls: number[] = [];
  modes: string[] = [];
  ticks = 0;
  observe(e: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    this.modes.push(ctx.mode);
    if (e.type === "boom") throw new Error("analyzer bug");
    if (e.type !== "probe") return undefined;
    return [{
      kind: "test.probe", severity: "low", src: e.src, dst: e.dst, protocol: "tcp", summary: "probe", attack: ["T0846"],
      evidence: { port: e.dport, b: true }, alwaysOn: (e as { always?: boolean }).always === true,
    }];
  }
  tick(): undefined {
    this.ticks++;
    return undefined;
  }
  endLearning(ctx: AnalyzerContext): void {
    this.endLearningCalls.push(ctx.ts);
  }
  exportModel(): unknown {
    return {};
  }
  importModel(): void {}
}

const ev = (type: string, ts: number, extra: Record<string, unknown> = {}): EventBase =>
  ({ type, ts, frame: 1, flow: "F1", src: "10.1.0.5", sport: 40000, dst: "10.2.0.7", dport: 502, ...extra }) as EventBase;

const ZONES = parseSiteConfig(`
site: t
zones:
  - { name: enterprise, level: 4, cidrs: [10.1.0.0/16] }
  - { name: control, level: 1, cidrs: [10.2.0.0/16] }
`, "t");

function setup(opts: { learnSeconds?: number; reemitSeconds?: number } = {}) {
  const probe = new ProbeAnalyzer();
  const out: Anomaly[] = [];
  const counters = new Counters();
  const engine = new DetectionEngine({
    analyzers: [probe], zones: new ZoneMap(ZONES), learnSeconds: opts.learnSeconds ?? 600, counters,
    onAnomaly: (a) => out.push(a), ...(opts.reemitSeconds !== undefined ? { reemitSeconds: opts.reemitSeconds } : {}),
  });
  return { probe, out, engine, counters };
}

describe("DetectionEngine", () => {
  it("learns until an absolute packet time when learnUntil is given", () => {
    const probe = new ProbeAnalyzer();
    const out: Anomaly[] = [];
    const engine = new DetectionEngine({
      analyzers: [probe], zones: new ZoneMap(ZONES), learnSeconds: 0, learnUntil: T0 + 900, onAnomaly: (a) => out.push(a),
    });
    engine.observe(ev("probe", T0 + 100));
    engine.observe(ev("probe", T0 + 899));
    expect(engine.mode).toBe("learning");
    expect(out).toHaveLength(0);
    engine.observe(ev("probe", T0 + 901));
    expect(engine.mode).toBe("detecting");
    // endLearning runs on the packet that crosses the boundary; the learned window ends exactly at learnUntil.
    expect(probe.endLearningCalls).toEqual([T0 + 901]);
    expect(out).toHaveLength(1);
    expect(engine.learnedSeconds).toBe(800);
  });

  it("learns for learnSeconds of packet time from the first event, then detects; endLearning once", () => {
    const { probe, out, engine, counters } = setup();
    engine.observe(ev("noise", T0));
    engine.observe(ev("probe", T0 + 599));
    expect(out).toHaveLength(0);
    expect(counters.get("detect.drafts.learning-dropped")).toBe(1);
    expect(engine.mode).toBe("learning");
    engine.observe(ev("probe", T0 + 600));
    expect(engine.mode).toBe("detecting");
    expect(out).toHaveLength(1);
    expect(probe.endLearningCalls).toEqual([T0 + 600]);
    expect(probe.modes).toEqual(["learning", "learning", "detecting"]);
    engine.observe(ev("noise", T0 + 5000));
    expect(probe.endLearningCalls).toHaveLength(1);
    expect(engine.learnedSeconds).toBe(600);
  });

  it("tick alone ends learning during a quiet period and drives analyzer ticks about once per second", () => {
    const { probe, engine } = setup({ learnSeconds: 60 });
    engine.tick(T0);
    for (let t = 0; t <= 60; t += 0.25) engine.tick(T0 + t);
    expect(engine.mode).toBe("detecting");
    expect(probe.endLearningCalls).toEqual([T0 + 60]);
    expect(probe.ticks).toBe(61);
    engine.tick(T0 + 10); // time never goes backwards
    expect(engine.mode).toBe("detecting");
  });

  it("keeps alwaysOn drafts while learning", () => {
    const { out, engine } = setup();
    engine.observe(ev("probe", T0 + 1, { always: true }));
    expect(out).toHaveLength(1);
    expect(out[0]?.ts).toBe("2025-06-03T06:00:01.000Z");
  });

  it("setMode switches by command: endLearning once, then learning resumes for learnSeconds", () => {
    const { probe, out, engine } = setup({ learnSeconds: 100 });
    engine.observe(ev("noise", T0));
    engine.setMode("detecting");
    engine.setMode("detecting");
    expect(probe.endLearningCalls).toHaveLength(1);
    engine.observe(ev("probe", T0 + 10));
    expect(out).toHaveLength(1);
    engine.setMode("learning");
    engine.observe(ev("probe", T0 + 20, { dst: "10.2.0.8" }));
    expect(out).toHaveLength(1);
    engine.observe(ev("noise", T0 + 110));
    expect(engine.mode).toBe("detecting");
    expect(probe.endLearningCalls).toHaveLength(2);
  });

  it("aggregates repeats into one record with count and first/last seen; re-emits at most every reemitSeconds", () => {
    const { out, engine } = setup({ learnSeconds: 0, reemitSeconds: 600 });
    for (let i = 0; i < 100; i++) engine.observe(ev("probe", T0 + i));
    expect(out).toHaveLength(1);
    const [agg] = engine.anomalies();
    expect(agg).toMatchObject({ count: 100, first_seen: "2025-06-03T06:00:00.000Z", last_seen: "2025-06-03T06:01:39.000Z" });
    engine.observe(ev("probe", T0 + 700));
    expect(out).toHaveLength(2);
    expect(out[1]).toMatchObject({ id: out[0]?.id, count: 101, ts: "2025-06-03T06:11:40.000Z", first_seen: "2025-06-03T06:00:00.000Z" });
    engine.observe(ev("probe", T0 + 701, { src: "10.1.0.6" })); // another key: a new anomaly
    expect(out).toHaveLength(3);
    expect(out[2]?.id).not.toBe(out[0]?.id);
  });

  it("reemitSeconds 0 emits only the first occurrence", () => {
    const { out, engine } = setup({ learnSeconds: 0, reemitSeconds: 0 });
    for (let i = 0; i < 10; i++) engine.observe(ev("probe", T0 + i * 10_000));
    expect(out).toHaveLength(1);
    expect(engine.anomalies()[0]?.count).toBe(10);
  });

  it("builds a flat record with zones and a deterministic id", () => {
    const run = () => {
      const { out, engine } = setup({ learnSeconds: 0 });
      engine.observe(ev("probe", T0 + 3.25));
      return out[0];
    };
    const a = run();
    expect(a).toEqual({
      id: a?.id, ts: "2025-06-03T06:00:03.250Z", kind: "test.probe", severity: "low", src: "10.1.0.5", dst: "10.2.0.7",
      protocol: "tcp", summary: "probe", attack: "T0846", evidence: '{"b":true,"port":502}', count: 1,
      first_seen: "2025-06-03T06:00:03.250Z", last_seen: "2025-06-03T06:00:03.250Z", src_zone: "enterprise", dst_zone: "control",
    });
    expect(a?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(run()?.id).toBe(a?.id);
    for (const v of Object.values(a ?? {})) expect(typeof v).not.toBe("object");
  });

  it("counts an analyzer exception and goes on", () => {
    const { out, engine, counters } = setup({ learnSeconds: 0 });
    engine.observe(ev("boom", T0));
    engine.observe(ev("probe", T0 + 1));
    expect(counters.get("internal.detect.probe.exception")).toBe(1);
    expect(out).toHaveLength(1);
  });
});

describe("parseDuration", () => {
  it("parses s/m/h/d and bare seconds, rejects junk", () => {
    expect(parseDuration("45s")).toBe(45);
    expect(parseDuration("30m")).toBe(1800);
    expect(parseDuration("2h")).toBe(7200);
    expect(parseDuration("7d")).toBe(604_800);
    expect(parseDuration("1.5h")).toBe(5400);
    expect(parseDuration("90")).toBe(90);
    expect(() => parseDuration("soon")).toThrow('"soon" is not a duration');
    expect(() => parseDuration("-5m")).toThrow();
  });
});
