// Network analyzer: each detector fires on a crafted sequence and stays quiet on normal traffic after learning.
// Addresses are a made-up plant (not the shared scenario's).
import { describe, expect, it } from "vitest";
import { parseSiteConfig } from "../config/site.ts";
import type { EventBase } from "../core/types.ts";
import { DetectionEngine } from "./engine.ts";
import { NetworkAnalyzer } from "./network.ts";
import { arp, flowEnd, flowStart, transaction } from "./test-events.ts";
import type { Anomaly } from "./types.ts";
import { ZoneMap } from "./zones.ts";

const T0 = 1_760_000_000;
const LEARN = 1800;
const CFG = parseSiteConfig(`
site: test-plant
zones:
  - { name: office, level: 4, cidrs: [172.20.0.0/16] }
  - { name: dmz, level: 3.5, cidrs: [10.9.9.0/24] }
  - { name: scada, level: 2, cidrs: [192.168.1.0/24] }
  - { name: cell, level: 1, cidrs: [192.168.2.0/24] }
conduits:
  - { from: dmz, to: scada, service: opcua }
  - { from: office, to: dmz, service: rdp }
  - { from: office, to: cell, service: tcp/8443 }
`, "t");

const HMI = "192.168.1.10", EWS = "192.168.1.11", SCADA = "192.168.1.7", PLC = "192.168.2.20", PLC2 = "192.168.2.21";
const HIST = "10.9.9.20", JUMP = "10.9.9.30", WS = "172.20.1.5", DNS = "172.20.0.53";
const MAC: Record<string, string> = {
  [HMI]: "00:d0:c9:00:00:10", [EWS]: "90:1b:0e:00:00:11", [SCADA]: "ac:1f:6b:00:00:07", [PLC]: "00:30:de:00:00:20",
  [PLC2]: "00:30:de:00:00:21", [HIST]: "00:15:5d:00:00:20", [JUMP]: "00:15:5d:00:00:30", [WS]: "ec:b1:d7:00:00:05",
  [DNS]: "00:15:5d:00:00:53",
};

/** Normal plant traffic in [from, to): polling sessions, OPC UA via the conduit, DNS, RDP, ARP. */
function normal(from: number, to: number): EventBase[] {
  const out: EventBase[] = [];
  const session = (t: number, src: string, dst: string, dport: number, service?: string, transport: "tcp" | "udp" = "tcp") => {
    const s = flowStart({ ts: t, src, dst, dport, service, transport, srcMac: MAC[src], dstMac: MAC[dst] });
    out.push(s);
    if (service === "modbus") out.push(transaction("modbus", t + 0.01, src, dst, dport));
    out.push(flowEnd(s, t + 30));
  };
  for (let t = from; t < to; t += 60) {
    session(t, HMI, PLC, 502, "modbus");
    session(t + 1, HMI, PLC2, 502, "modbus");
    session(t + 2, HIST, SCADA, 4840, "opcua");
    session(t + 3, EWS, SCADA, 4840, "opcua");
    session(t + 4, WS, DNS, 53, undefined, "udp");
    // a DNS reply whose query the capture missed: the pipeline saw 53 → ephemeral first
    const reply = flowStart({ ts: t + 5, src: DNS, sport: 53, dst: WS, dport: 50000 + (t % 1000), transport: "udp", srcMac: MAC[DNS] });
    out.push(reply, flowEnd(reply, t + 6));
    if ((t - from) % 600 === 0) {
      session(t + 7, WS, JUMP, 3389);
      out.push(arp(t + 8, PLC, MAC[PLC] ?? ""), arp(t + 9, HMI, MAC[HMI] ?? ""));
    }
  }
  return out;
}

function run(detectEvents: EventBase[], learnEvents: EventBase[] = normal(T0, T0 + LEARN)): { all: Anomaly[]; net: NetworkAnalyzer; engine: DetectionEngine } {
  const zones = new ZoneMap(CFG);
  const net = new NetworkAnalyzer(zones);
  const all: Anomaly[] = [];
  const engine = new DetectionEngine({ analyzers: [net], zones, learnSeconds: LEARN, onAnomaly: (a) => all.push(a) });
  for (const e of [...learnEvents, ...detectEvents].sort((a, b) => a.ts - b.ts)) engine.observe(e);
  return { all, net, engine };
}

const D = T0 + LEARN + 60; // detection time
const brief = (a: Anomaly[]) => a.map((x) => `${x.kind} ${x.src}>${x.dst}`);

describe("NetworkAnalyzer", () => {
  it("stays quiet on normal traffic after learning (new ephemeral ports, DNS replies, conduits)", () => {
    const { all } = run(normal(T0 + LEARN, T0 + 3 * LEARN));
    expect(brief(all)).toEqual([]);
  });

  it("zone.it-to-ot fires even while learning, once per (src, dst) for a long session, and on a rejected SYN", () => {
    const attack: EventBase[] = [];
    for (let t = T0 + 100; t < T0 + 200; t += 10) {
      const s = flowStart({ ts: t, src: WS, dst: PLC, dport: 502, service: "modbus", srcMac: MAC[WS] });
      attack.push(s, flowEnd(s, t + 5));
    }
    const syn = flowStart({ ts: T0 + 300, src: WS, dst: PLC2, dport: 22, flow: "Fsyn" });
    attack.push(flowEnd(syn, T0 + 300.01, { established: false, rejected: true, reason: "rst", pktsToClient: 1 }));
    // allowed conduit office → cell tcp/8443: not flagged
    const ok = flowStart({ ts: T0 + 400, src: WS, dst: PLC, dport: 8443 });
    attack.push(ok);
    const { all } = run([], [...normal(T0, T0 + LEARN), ...attack]);
    expect(brief(all)).toEqual([`zone.it-to-ot ${WS}>${PLC}`, `zone.it-to-ot ${WS}>${PLC2}`]);
    expect(all[0]?.severity).toBe("critical");
    expect(all[0]?.attack).toBe("T0886");
    expect(all[0]?.summary).toBe(
      `${WS} (office, L4) opened modbus to ${PLC} (cell, L1): no conduit allows office→cell and it skips the DMZ`);
    expect(all[1]?.summary).toContain("tried to open ssh");
    expect(JSON.parse(all[1]?.evidence ?? "{}")).toMatchObject({ rejected: true, service: "ssh" });
  });

  it("net.new-asset and net.new-talker-pair for an unseen host polling a PLC", () => {
    const rogue = "192.168.2.99";
    const s = flowStart({ ts: D, src: rogue, dst: PLC, dport: 502, service: "modbus", srcMac: "02:00:00:00:00:99" });
    const { all } = run([s, flowEnd(s, D + 100)]);
    expect(brief(all)).toEqual([`net.new-asset ${rogue}>${PLC}`, `net.new-talker-pair ${rogue}>${PLC}`]);
    expect(all[0]?.summary).toContain("not seen during the 30 min of learning");
  });

  it("net.new-mac for a known IP answering from another MAC (ARP), not for routers' shared MACs", () => {
    const ROUTER_A = "00:1b:17:00:00:01", ROUTER_B = "00:1b:17:00:00:02";
    const routed = ["10.50.0.1", "10.50.0.2", "10.50.0.3"].map((ip, i) =>
      flowStart({ ts: T0 + 10 + i, src: ip, dst: HMI, dport: 4840, service: "opcua", srcMac: ROUTER_A }));
    const learn = [...normal(T0, T0 + LEARN), ...routed];
    const later = flowStart({ ts: D + 2, src: "10.50.0.1", dst: HMI, dport: 4840, service: "opcua", srcMac: ROUTER_B });
    const { all, engine } = run([arp(D, PLC, "de:ad:be:ef:00:01"), arp(D + 1, PLC, "de:ad:be:ef:00:01"), later], learn);
    expect(brief(all)).toEqual([`net.new-mac ${PLC}>`]);
    expect(engine.anomalies()[0]?.count).toBe(2);
    expect(all[0]?.summary).toContain(`during learning it only used ${MAC[PLC]}`);
  });

  it("net.new-talker-pair between known OT hosts and net.new-service on a known pair (not for a new client port)", () => {
    const pair = flowStart({ ts: D, src: EWS, dst: PLC, dport: 502, service: "modbus" });
    const answer = transaction("modbus", D + 0.01, EWS, PLC, 502, { flow: pair.flow });
    const svc = flowStart({ ts: D + 5, src: EWS, dst: SCADA, dport: 22 });
    const again = flowStart({ ts: D + 6, src: EWS, dst: SCADA, dport: 4840, service: "opcua", sport: 61000 });
    const { all } = run([pair, answer, svc, flowEnd(svc, D + 50), again, flowEnd(again, D + 60)]);
    expect(brief(all)).toEqual([`net.new-talker-pair ${EWS}>${PLC}`, `net.new-service ${EWS}>${SCADA}`]);
    expect(all[0]?.ts).toBe(new Date(D * 1000).toISOString());
    expect(all[1]?.summary).toBe(`${EWS} (scada, L2) opened ssh to ${SCADA} (scada, L2): during learning this pair only used opcua`);
  });

  it("unanswered attempts are not talker pairs; a sweep across a zone is one crossing record per service", () => {
    const events: EventBase[] = [];
    for (let i = 1; i <= 50; i++) {
      for (const dport of [22, 502]) {
        const probe = flowStart({ ts: D + i * 0.01, src: HMI, dst: `192.168.1.${100 + i}`, dport });
        events.push(probe, flowEnd(probe, D + 1 + i * 0.01, { established: false, rejected: true, reason: "rst", pktsToClient: 1 }));
        const cross = flowStart({ ts: D + 2 + i * 0.01, src: JUMP, dst: `192.168.2.${100 + i}`, dport });
        events.push(cross, flowEnd(cross, D + 32 + i * 0.01, { established: false, rejected: true, reason: "idle", pktsToClient: 0 }));
      }
    }
    const { all, engine } = run(events);
    expect(brief(all)).toEqual([`zone.new-crossing ${JUMP}>192.168.2.101`, `zone.new-crossing ${JUMP}>192.168.2.101`]);
    expect(all.map((a) => a.protocol)).toEqual(["ssh", "modbus"]);
    expect(engine.anomalies().map((a) => a.count)).toEqual([50, 50]);
  });

  it("zone.new-crossing for a crossing never learned and not allowed; a conduit stays quiet", () => {
    const cross = flowStart({ ts: D, src: JUMP, dst: PLC, dport: 502, service: "modbus" });
    const viaConduit = flowStart({ ts: D + 1, src: JUMP, dst: SCADA, dport: 4840, service: "opcua" });
    const { all } = run([cross, viaConduit]);
    expect(brief(all)).toEqual([`zone.new-crossing ${JUMP}>${PLC}`]);
    expect(all[0]?.summary).toContain("no dmz→cell flow used modbus during the 30 min of learning and no conduit allows it");
  });

  it("net.ot-internet for an OT host talking to a public address, both directions", () => {
    const out = flowStart({ ts: D, src: PLC, dst: "8.8.8.8", dport: 53, transport: "udp" });
    const inbound = flowStart({ ts: D + 1, src: "203.0.113.9", dst: HMI, dport: 3389 });
    const itOut = flowStart({ ts: D + 2, src: WS, dst: "8.8.8.8", dport: 443 });
    const { all } = run([out, inbound, itOut]);
    expect(brief(all)).toEqual([`net.ot-internet ${PLC}>8.8.8.8`, `net.ot-internet 203.0.113.9>${HMI}`]);
    expect(all.map((a) => a.attack)).toEqual(["T0869", "T0883"]);
  });

  it("without a site config, a Modbus server becomes OT and a connection seen before that is learned under its new zone", () => {
    const zones = new ZoneMap();
    const net = new NetworkAnalyzer(zones);
    const all: Anomaly[] = [];
    const engine = new DetectionEngine({ analyzers: [net], zones, learnSeconds: LEARN, onAnomaly: (a) => all.push(a) });
    const a = "10.1.1.5", plc = "10.1.2.9";
    const persistent = flowStart({ ts: T0, src: a, dst: plc, dport: 502, service: "modbus", midstream: true });
    engine.observe(persistent);
    for (let t = T0 + 1; t < T0 + LEARN; t += 100) engine.observe(transaction("modbus", t, a, plc, 502, { flow: persistent.flow }));
    const reconnect = flowStart({ ts: D, src: a, dst: plc, dport: 502, service: "modbus" });
    const rogue = flowStart({ ts: D + 1, src: "10.1.1.66", dst: plc, dport: 502, service: "modbus" });
    for (const e of [reconnect, transaction("modbus", D + 0.1, a, plc, 502, { flow: reconnect.flow }), rogue, flowEnd(rogue, D + 5)]) {
      engine.observe(e);
    }
    expect(zones.zoneOf(plc).name).toBe("learned-ot");
    expect(brief(all)).toEqual(["net.new-asset 10.1.1.66>10.1.2.9", "net.new-talker-pair 10.1.1.66>10.1.2.9"]);
    expect(all[1]?.src_zone).toBe("unknown");
    expect(all[1]?.dst_zone).toBe("learned-ot");
  });

  it("a learned model round-trips through export/import and detects the same", () => {
    const { net } = run([]);
    const exported = net.exportModel();
    const zones = new ZoneMap(CFG);
    const fresh = new NetworkAnalyzer(zones);
    fresh.importModel(JSON.parse(JSON.stringify(exported)));
    expect(fresh.exportModel()).toEqual(exported);
    expect(exported.crossings).toEqual(["dmz>scada>opcua", "office>dmz>rdp", "scada>cell>modbus"]);
    expect(exported.pairs[`${HMI}>${PLC}`]).toEqual(["modbus"]);
    expect(exported.hosts[PLC]).toEqual([MAC[PLC]]);
    const all: Anomaly[] = [];
    const engine = new DetectionEngine({ analyzers: [fresh], zones, learnSeconds: 0, mode: "detecting", onAnomaly: (a) => all.push(a) });
    engine.observe(flowStart({ ts: D, src: EWS, dst: PLC, dport: 502, service: "modbus", midstream: true }));
    for (const e of normal(D + 10, D + 600)) engine.observe(e);
    expect(brief(all)).toEqual([`net.new-talker-pair ${EWS}>${PLC}`]);
    expect(fresh.accept(all[0] as Anomaly)).toBe(true);
    engine.observe(flowStart({ ts: D + 700, src: EWS, dst: PLC, dport: 502, service: "modbus", midstream: true }));
    expect(engine.anomalies()[0]?.count).toBe(1);
  });
});
