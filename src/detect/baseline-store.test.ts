// Baseline persistence: canonical sorted JSON, save/load round trip through the engine, clear errors on corruption,
// and durability: a writer SIGKILLed mid-loop always leaves the old or the new complete baseline.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parseSiteConfig } from "../config/site.ts";
import { type Baseline, BaselineError, BaselineStore, formatBaseline, loadBaseline, parseBaseline, saveBaseline } from "./baseline-store.ts";
import { DetectionEngine } from "./engine.ts";
import { NetworkAnalyzer } from "./network.ts";
import { flowEnd, flowStart, transaction } from "./test-events.ts";
import type { Anomaly } from "./types.ts";
import { ZoneMap } from "./zones.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "otwatch-baseline-"));
const T0 = 1_760_000_000;
const SAMPLE: Baseline = {
  version: 1, site: "plant", learn: { firstTs: T0, learnedSeconds: 1800 }, zones: { learnedOt: ["192.168.0.10"] },
  models: { zeta: { b: 2, a: [3, 1] }, alpha: { nested: { y: 1, x: "s" } } },
};

describe("baseline text", () => {
  it("is pretty JSON with keys sorted at every depth (arrays keep order) and round-trips", () => {
    const text = formatBaseline(SAMPLE);
    expect(text.endsWith("}\n")).toBe(true);
    expect(text.indexOf('"alpha"')).toBeLessThan(text.indexOf('"zeta"'));
    expect(text.indexOf('"x"')).toBeLessThan(text.indexOf('"y"'));
    expect(text).toContain('"a": [\n        3,\n        1\n      ]');
    expect(parseBaseline(text, "b.json")).toEqual(SAMPLE);
    expect(formatBaseline(parseBaseline(text, "b.json"))).toBe(text);
  });

  it("rejects corrupt or foreign files with a clear message", () => {
    expect(() => parseBaseline('{"version": 1, "site": "x"', "b.json")).toThrow(/^b.json: not a baseline \(invalid JSON/);
    expect(() => parseBaseline(JSON.stringify({ ...SAMPLE, version: 9 }), "b.json")).toThrow("b.json: version: must be 1");
    expect(() => parseBaseline(JSON.stringify({ ...SAMPLE, learn: { firstTs: "x", learnedSeconds: 1 } }), "b.json"))
      .toThrow(/b.json: learn.firstTs: /);
    expect(() => loadBaseline(join(tmp(), "none.json"))).toThrow(BaselineError);
  });

  it("the store moves a corrupt state file aside and reports why, and treats a missing file as no baseline", () => {
    const dir = tmp();
    const store = new BaselineStore(join(dir, "state.json"));
    expect(store.load()).toBeUndefined();
    expect(store.error).toBeUndefined();
    store.save(SAMPLE);
    expect(store.load()).toEqual(SAMPLE);
    writeFileSync(store.path, "{ truncated");
    expect(store.load()).toBeUndefined();
    expect(store.error).toMatch(/state.json: not a baseline/);
    expect(existsSync(`${store.path}.corrupt`)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("engine baseline", () => {
  const cfg = parseSiteConfig("site: p\nzones: [{ name: cell, level: 1, cidrs: [192.168.2.0/24] }]", "p");

  function learnAndSave(path: string): void {
    const zones = new ZoneMap(cfg);
    const engine = new DetectionEngine({ analyzers: [new NetworkAnalyzer(zones)], zones, learnSeconds: 600, onAnomaly: () => {} });
    for (let t = T0; t < T0 + 700; t += 30) {
      const s = flowStart({ ts: t, src: "192.168.2.5", dst: "192.168.2.20", dport: 502, service: "modbus" });
      engine.observe(s);
      engine.observe(transaction("modbus", t + 0.1, "192.168.2.5", "10.7.7.7", 502)); // learned OT outside the zones
      engine.observe(flowEnd(s, t + 1));
    }
    saveBaseline(path, engine.baseline("p"));
  }

  it("saves what was learned and detects from it in a new process state", () => {
    const path = join(tmp(), "baseline.json");
    learnAndSave(path);
    const b = loadBaseline(path);
    expect(b.learn).toEqual({ firstTs: T0, learnedSeconds: 600 });
    expect(b.zones.learnedOt).toEqual(["10.7.7.7"]);
    expect(Object.keys(b.models)).toEqual(["network"]);

    const zones = new ZoneMap(cfg);
    const out: Anomaly[] = [];
    const engine = new DetectionEngine({ analyzers: [new NetworkAnalyzer(zones)], zones, learnSeconds: 600, onAnomaly: (a) => out.push(a) });
    expect(engine.loadBaseline(b)).toEqual([]);
    expect(engine.mode).toBe("detecting");
    expect(zones.zoneOf("10.7.7.7").name).toBe("learned-ot");
    engine.observe(flowStart({ ts: T0 + 5000, src: "192.168.2.5", dst: "192.168.2.20", dport: 502, service: "modbus" }));
    const rogue = flowStart({ ts: T0 + 5001, src: "192.168.2.6", dst: "192.168.2.20", dport: 502, service: "modbus" });
    engine.observe(rogue);
    engine.observe(flowEnd(rogue, T0 + 5002));
    expect(out.map((a) => `${a.kind} ${a.src}`)).toEqual(["net.new-asset 192.168.2.6", "net.new-talker-pair 192.168.2.6"]);
    expect(formatBaseline(engine.baseline("p"))).toBe(readFileSync(path, "utf8"));
  });
});

describe("kill -9 while saving", () => {
  it("leaves the old or the new complete baseline, never a torn file", async () => {
    const dir = tmp();
    const path = join(dir, "state.json");
    const child = join(dirname(fileURLToPath(import.meta.url)), "baseline-store.kill-child.ts");
    let lastSeq = 0;
    for (let round = 0; round < 4; round++) {
      const proc = spawn(process.execPath, ["--import", "tsx", child, path], { stdio: ["ignore", "pipe", "inherit"] });
      let printed = 0;
      await new Promise<void>((resolve, reject) => {
        const killAfter = 3 + round * 2;
        proc.stdout.on("data", (chunk: Buffer) => {
          printed += chunk.toString().split("\n").filter(Boolean).length;
          if (printed >= killAfter && !proc.killed) setTimeout(() => proc.kill("SIGKILL"), round * 3);
        });
        proc.on("exit", () => resolve());
        proc.on("error", reject);
      });
      expect(proc.signalCode).toBe("SIGKILL");
      const b = loadBaseline(path); // throws on a torn or half-written file
      const model = b.models.test as { seq: number; payload: number[] };
      expect(model.payload).toHaveLength(20_000);
      expect(model.payload.every((v) => v === model.seq)).toBe(true);
      expect(b.learn.learnedSeconds).toBe(model.seq);
      lastSeq = model.seq;
    }
    expect(lastSeq).toBeGreaterThan(0);
  });
});
