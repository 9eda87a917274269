// createDetection wiring (learn → save baseline → backtest from it) and the per-kind summary with alerts per hour.
import { describe, expect, it } from "vitest";
import { parseSiteConfig } from "../config/site.ts";
import { formatBaseline, parseBaseline } from "./baseline-store.ts";
import { createDetection, summarizeByKind } from "./setup.ts";
import { flowEnd, flowStart } from "./test-events.ts";
import type { Anomaly } from "./types.ts";

const T0 = 1_760_000_000;
const site = parseSiteConfig(`
site: s
zones:
  - { name: office, level: 4, cidrs: [172.20.0.0/16] }
  - { name: cell, level: 1, cidrs: [192.168.2.0/24] }
`, "s");

describe("createDetection", () => {
  it("learns, saves a baseline, and a second run started from it backtests the same detections", () => {
    const first: Anomaly[] = [];
    const det = createDetection({ site, learnSeconds: 600, onAnomaly: (a) => first.push(a) });
    for (let t = T0; t < T0 + 600; t += 60) {
      const s = flowStart({ ts: t, src: "192.168.2.5", dst: "192.168.2.20", dport: 502, service: "modbus", srcMac: "00:30:de:00:00:05" });
      det.observe(s);
      det.observe(flowEnd(s, t + 1));
    }
    det.tick(T0 + 600);
    expect(det.engine.mode).toBe("detecting");
    expect(det.inventory.get("192.168.2.5")?.vendor).toBe("WAGO Kontakttechnik GmbH");
    const baseline = parseBaseline(formatBaseline(det.engine.baseline("s")), "b");

    const second: Anomaly[] = [];
    const bt = createDetection({ site, learnSeconds: 600, baseline, onAnomaly: (a) => second.push(a) });
    expect(bt.missingModels).toEqual([]);
    expect(bt.engine.mode).toBe("detecting");
    for (let t = T0 + 7200; t < T0 + 7200 + 3600; t += 60) {
      const s = flowStart({ ts: t, src: "172.20.1.9", dst: "192.168.2.20", dport: 502, service: "modbus" });
      bt.observe(s);
      bt.observe(flowEnd(s, t + 1));
    }
    bt.tick(T0 + 10_800);
    expect(second.map((a) => a.kind)).toEqual(["zone.it-to-ot"]);
    expect(bt.engine.detectionSeconds).toBe(3600);
    expect(summarizeByKind(bt.engine.anomalies(), bt.engine.detectionSeconds)).toEqual([
      { kind: "zone.it-to-ot", records: 1, occurrences: 60, perHour: 1 },
    ]);
  });
});
