// The scenario generator end to end on its fast variant (3 minutes of capture, ~20 s of real peers on lo): the files it
// writes agree with each other — labels inside the capture, each attack's packets where its window says, plant
// addresses only (no 127.x left), Ethernet-sized frames — and the plan is a pure function of the seed.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSiteConfig } from "../../../src/config/site.ts";
import type { ModbusTransactionEvent } from "../../../protocols/modbus/events.ts";
import type { OpcuaServiceEvent } from "../../../protocols/opcua/events.ts";
import { decodeCapture, ofType } from "../../peers/replay.ts";
import { generateScenario } from "./main.ts";
import { HOSTS, rng } from "./plant.ts";
import { planAttacks } from "./schedule.ts";

const dir = mkdtempSync(join(tmpdir(), "otwatch-scenario-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("scenario generator", () => {
  it("plans the same attacks at the same times for the same seed, other times for another seed", () => {
    const a = planAttacks(56, 0.65, rng(42));
    const b = planAttacks(56, 0.65, rng(42));
    const c = planAttacks(56, 0.65, rng(43));
    expect(a).toEqual(b);
    expect(c.attacks.map((x) => x.startS)).not.toEqual(a.attacks.map((x) => x.startS));
    expect(a.attacks.map((x) => x.key).sort()).toEqual(["beacon", "coil-write", "it-to-ot", "loss-of-view", "oor-write", "opcua-new-node", "port-scan", "recon"]);
    expect(a.attacks.every((x) => x.startS >= a.learnS && x.startS + x.durationS <= a.totalS)).toBe(true);
  });

  it("writes a capture, labels and site config that agree", async () => {
    const res = await generateScenario({ out: dir, name: "fast", seed: 5, minutes: 3, scale: 10, learnFraction: 0.65 });
    const labels = JSON.parse(readFileSync(res.labels, "utf8")) as {
      first_packet: number; last_packet: number; learn_until_epoch: number; capture_end: number;
      attacks: { kind: string; attacker: string; targets: string[]; packets: number; start: number; end: number }[];
    };
    expect(loadSiteConfig(res.site).zones).toHaveLength(4);
    expect(labels.attacks).toHaveLength(8);
    for (const a of labels.attacks) {
      expect(a.start).toBeGreaterThanOrEqual(labels.learn_until_epoch);
      expect(a.end).toBeGreaterThan(a.start);
      if (a.kind === "modbus_loss_of_view") expect(a.packets).toBe(0);
      else expect({ kind: a.kind, some: a.packets > 0 }).toEqual({ kind: a.kind, some: true });
    }

    const { events, counters, packets } = await decodeCapture(res.pcap);
    expect(packets).toBe(res.packets);
    expect({ gaps: res.gaps, weird: res.weird }).toEqual({ gaps: 0, weird: 0 });
    expect(counters.sum("internal.")).toBe(0);
    expect(ofType(events, "weird")).toEqual([]);
    const plant = new Set([...HOSTS.map((h) => h.ip)]);
    const flows = ofType(events, "flow.start");
    expect(flows.filter((f) => f.src.startsWith("127.") || f.dst.startsWith("127."))).toEqual([]);
    // Every address is a plant host, or a scanned control-zone address.
    expect(flows.filter((f) => !plant.has(f.src) || !(plant.has(f.dst) || f.dst.startsWith("192.168.60.")))).toEqual([]);
    const mb = ofType<ModbusTransactionEvent>(events, "modbus");
    expect(mb.filter((e) => e.ts < labels.learn_until_epoch).length).toBeGreaterThan(50);
    expect(ofType<OpcuaServiceEvent>(events, "opcua.service").some((s) => s.service === "Publish")).toBe(true);
    const oor = labels.attacks.find((a) => a.kind === "modbus_fc6_out_of_range")!;
    expect(mb.filter((e) => e.fc === 6 && e.ts >= oor.start && e.ts <= oor.end).map((e) => e.request?.values)).toEqual([[1900]]);
  }, 180_000); // real peers on a fast clock: ~20 s alone, up to a minute or more when the suite loads both cores
});
