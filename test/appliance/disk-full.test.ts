// Resilience (issue 5 §5): a full disk stops the spool growing and says so while detection goes on; a full spool
// (spool_max_bytes) drops oldest and counts; a state save on a full disk fails without touching the saved baseline.
// The full disk is real: a 512 KiB tmpfs (this machine runs the tests as root), filled before the sinks need space.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Counters } from "../../src/core/counters.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/index.ts";
import { Sensor } from "../../appliance/sensor.ts";
import { StateDir } from "../../appliance/service/state.ts";
import { parseBaseline } from "../../src/detect/baseline-store.ts";
import type { Anomaly } from "../../src/detect/types.ts";
import { plantFrames } from "./modbus-frames.ts";

const root = mkdtempSync(join(tmpdir(), "otwatch-diskfull-"));
const mnt = join(root, "mnt");
beforeAll(() => {
  mkdirSync(mnt);
  execFileSync("mount", ["-t", "tmpfs", "-o", "size=512k", "tmpfs", mnt]);
});
afterAll(() => {
  execFileSync("umount", ["-l", mnt]);
  rmSync(root, { recursive: true, force: true });
});

/** A sensor whose sinks point at a closed port (everything waits in the spool), fed through a pipeline. */
function rig(stateDir: string, spoolMaxBytes?: number) {
  const counters = new Counters();
  const logs: string[] = [];
  const anomalies: Anomaly[] = [];
  const sensor = new Sensor({
    site: { site: "disk", zones: [], conduits: [] },
    learnSeconds: 30,
    counters,
    sinks: { stateDir, influx: { url: "http://127.0.0.1:9/otwatch", backoffMinMs: 60_000, ...(spoolMaxBytes ? { spoolMaxBytes } : {}), log: (m) => logs.push(m) } },
    onAnomaly: (a) => anomalies.push(a),
    log: (m) => logs.push(m),
  });
  const pipeline = new Pipeline({ dissectors, onEvent: (e) => sensor.onEvent(e), counters });
  sensor.attach(pipeline);
  return { sensor, pipeline, counters, logs, anomalies };
}

describe("disk full and spool full", () => {
  it("keeps detecting when the spool cannot be appended to (ENOSPC), says so, and keeps the saved baseline", async () => {
    const stateDir = join(mnt, "state");
    const r = rig(stateDir);
    // Learning: 40 s of polls (FC3) between 20 pairs; windows of 10 s close and go to the spool while there is room.
    for (const f of plantFrames({ pairs: 20, polls: 20, periodS: 2 })) r.pipeline.handleFrame(f);
    expect(r.sensor.mode).toBe("detecting");
    const state = new StateDir(join(mnt, "saved"));
    state.save(r.sensor.detection.engine.baseline("disk"), "detecting", r.sensor.detection.inventory.toJSON());
    const saved = readFileSync(join(mnt, "saved", "baseline.json"), "utf8");

    // Fill the disk to the last byte.
    let n = 0;
    try {
      for (;;) writeFileSync(join(mnt, `fill-${n++}`), Buffer.alloc(64 * 1024));
    } catch (err) {
      expect((err as NodeJS.ErrnoException).code).toBe("ENOSPC");
    }
    try {
      for (;;) writeFileSync(join(mnt, `fill-${n++}`), Buffer.alloc(512));
    } catch {
      // full
    }
    // Detection: the same pairs now write (FC6), 40 s later.
    for (const f of plantFrames({ pairs: 20, polls: 20, periodS: 2, t0: 1_700_000_100, fc: 6, sport0: 40000 })) r.pipeline.handleFrame(f);
    expect(r.counters.get("sink.append.failed")).toBeGreaterThan(0);
    expect(r.logs.some((l) => l.includes("cannot append to the spool (ENOSPC)") && l.includes("detection goes on"))).toBe(true);
    expect(r.logs.filter((l) => l.includes("cannot append")).length).toBe(1); // said once per failure streak, not per batch
    expect(r.anomalies.filter((a) => a.kind === "modbus.new-function-code").length).toBe(20);

    // Saving the state on the full disk fails, and the previous baseline is untouched.
    expect(() => state.save(r.sensor.detection.engine.baseline("disk"), "detecting", "[]\n")).toThrow(/ENOSPC/);
    expect(readFileSync(join(mnt, "saved", "baseline.json"), "utf8")).toBe(saved);
    parseBaseline(saved, "baseline.json");
    await r.sensor.sinks?.close(); // no final flush: the server is down by design
  });

  it("drops the oldest spooled data past spool_max_bytes, counted, while detection goes on", async () => {
    const dir = join(root, "small-spool");
    const r = rig(dir, 64 * 1024);
    for (const f of plantFrames({ pairs: 30, polls: 100, periodS: 2 })) r.pipeline.handleFrame(f);
    for (const f of plantFrames({ pairs: 30, polls: 10, periodS: 2, t0: 1_700_000_300, fc: 6, sport0: 40000 })) r.pipeline.handleFrame(f);
    expect(r.sensor.sinks?.dropped()).toBeGreaterThan(0);
    expect(r.logs.find((l) => l.includes("spool full"))).toMatch(/dropped the oldest waiting segment; \d+ item\(s\) dropped/);
    expect(r.anomalies.filter((a) => a.kind === "modbus.new-function-code").length).toBe(30);
    await r.sensor.sinks?.close(); // no final flush: the server is down by design
  });
});
