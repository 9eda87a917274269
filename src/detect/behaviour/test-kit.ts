// Test support for the behaviour analyzers (imported by *.test.ts only): core and IT events built by hand, a zone map
// from CIDRs, a driver that replays events through an analyzer with a packet-time learning window (ticks once per
// second of packet time, endLearning at the boundary), and generators of busy-but-normal traffic.

import type { ArpEvent, EventBase, FlowEndEvent, FlowStartEvent } from "../../core/types.ts";
import type { Analyzer, AnalyzerContext, AnomalyDraft, ZoneInfo } from "../types.ts";
import type { DnsEvent, HttpEvent, TlsClientHelloEvent } from "./types.ts";
import { seededRandom as rng } from "../../../test/fixtures/seeded-random.ts";

export { rng };

export const T0 = 1_750_000_000;

export interface ZoneDef {
  name: string;
  level: number;
  cidr: string;
}

/** A generic plant (not the dev scenario's addresses): enterprise, DMZ, supervisory, control. */
export const ZONES: ZoneDef[] = [
  { name: "enterprise", level: 4, cidr: "10.10.0.0/16" },
  { name: "dmz", level: 3.5, cidr: "10.20.0.0/24" },
  { name: "supervisory", level: 2, cidr: "192.168.10.0/24" },
  { name: "control", level: 1, cidr: "192.168.20.0/24" },
];

function ipNum(ip: string): number {
  return ip.split(".").reduce((n, p) => n * 256 + Number(p), 0);
}

export function zoneOf(ip: string, zones: ZoneDef[] = ZONES): ZoneInfo {
  const n = ipNum(ip);
  for (const z of zones) {
    const [base = "", bits = "32"] = z.cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    const start = ipNum(base);
    if (n >= start && n < start + size) return { name: z.name, level: z.level };
  }
  const private_ = /^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(ip);
  return { name: private_ ? "unknown" : "internet", level: NaN };
}

let flowSeq = 0;

function base(type: string, ts: number, src: string, sport: number, dst: string, dport: number, flow?: string): EventBase {
  return { type, ts, frame: 0, flow: flow ?? `T${(flowSeq++).toString(36)}`, src, sport, dst, dport };
}

export interface ConnOpts {
  ts: number;
  src: string;
  dst: string;
  dport: number;
  sport?: number;
  transport?: "tcp" | "udp";
  duration?: number;
  bytesToServer?: number;
  bytesToClient?: number;
  established?: boolean;
  rejected?: boolean;
  midstream?: boolean;
}

/** flow.start and flow.end of one connection (the end at ts + duration). */
export function connection(o: ConnOpts): [FlowStartEvent, FlowEndEvent] {
  const transport = o.transport ?? "tcp";
  const b = base("flow.start", o.ts, o.src, o.sport ?? 40000 + (flowSeq % 20000), o.dst, o.dport);
  const start: FlowStartEvent = { ...b, type: "flow.start", transport, service: undefined, srcMac: undefined, dstMac: undefined, midstream: o.midstream ?? false };
  const duration = o.duration ?? 0.5;
  const established = o.established ?? !o.rejected;
  const end: FlowEndEvent = {
    ...b,
    type: "flow.end",
    ts: o.ts + duration,
    transport,
    service: undefined,
    reason: o.rejected ? "rst" : "fin",
    duration,
    pktsToServer: 3,
    pktsToClient: o.rejected ? 1 : 3,
    bytesToServer: o.bytesToServer ?? (established ? 900 : 0),
    bytesToClient: o.bytesToClient ?? (established ? 1200 : 0),
    startTs: o.ts,
    established,
    rejected: o.rejected ?? false,
    midstream: o.midstream ?? false,
  };
  return [start, end];
}

export function dnsQuery(o: { ts: number; src: string; dst: string; query: string; qtype?: number; rcode?: number }): DnsEvent {
  const qtype = o.qtype ?? 1;
  const names: Record<number, string> = { 1: "A", 16: "TXT", 10: "NULL", 5: "CNAME", 28: "AAAA" };
  return {
    ...base("dns", o.ts, o.src, 50000 + (flowSeq % 10000), o.dst, 53),
    type: "dns", transport: "udp", id: flowSeq & 0xffff, query: o.query, qtype, qtypeName: names[qtype] ?? `TYPE${qtype}`,
    qclass: 1, status: "ok", rcode: o.rcode ?? 0, rcodeName: "NOERROR", answers: [], queryBytes: 40 + o.query.length,
    responseBytes: 120, rtt: 0.01,
  };
}

export function httpRequest(o: { ts: number; src: string; dst: string; method: string; host: string; contentLength: number; flow?: string }): HttpEvent {
  return {
    ...base("http", o.ts, o.src, 50000, o.dst, 80, o.flow),
    type: "http", status: "ok", method: o.method, uri: "/upload", version: "1.1", host: o.host, userAgent: "curl/8",
    requestContentLength: o.contentLength, requestBodyBytes: Math.max(0, o.contentLength), statusCode: 200, reason: "OK",
    responseContentLength: 2, contentType: "text/plain",
  };
}

export function clientHello(o: { ts: number; src: string; dst: string; sni: string; flow: string }): TlsClientHelloEvent {
  return {
    ...base("tls.client-hello", o.ts, o.src, 50000, o.dst, 443, o.flow),
    type: "tls.client-hello", recordVersion: 0x0301, version: 0x0303, supportedVersions: [0x0304], sni: o.sni, alpn: [],
    cipherSuites: [], extensions: [], ja3: "", ja3Hash: "", ja4: "",
  };
}

export function arpRequest(o: { ts: number; senderIp: string; targetIp: string }): ArpEvent {
  return {
    ...base("arp", o.ts, o.senderIp, 0, o.targetIp, 0),
    type: "arp", op: 1, senderMac: "02:00:00:00:00:01", senderIp: o.senderIp, targetMac: "00:00:00:00:00:00", targetIp: o.targetIp,
  };
}

/** Replays events (sorted by ts here) through an analyzer: learning until `learnUntil`, ticks each second of packet time. */
export function drive(a: Analyzer, events: EventBase[], learnUntil: number, zones: ZoneDef[] = ZONES): AnomalyDraft[] {
  const sortedEvents = [...events].sort((x, y) => x.ts - y.ts);
  const first = sortedEvents[0]?.ts ?? T0;
  const out: AnomalyDraft[] = [];
  let learning = true;
  let lastTick = first;
  const ctxAt = (ts: number): AnalyzerContext => ({
    mode: learning ? "learning" : "detecting",
    ts,
    zoneOf: (ip) => zoneOf(ip, zones),
    learnedSeconds: Math.min(ts, learnUntil) - first,
    learnSeconds: learnUntil - first,
  });
  const advance = (ts: number): void => {
    while (lastTick + 1 <= ts) {
      lastTick += 1;
      if (learning && lastTick >= learnUntil) {
        learning = false;
        a.endLearning?.(ctxAt(lastTick));
      }
      out.push(...(a.tick?.(ctxAt(lastTick)) ?? []));
    }
  };
  if (first >= learnUntil) {
    learning = false;
    a.endLearning?.(ctxAt(first));
  }
  for (const e of sortedEvents) {
    advance(e.ts);
    out.push(...(a.observe(e, ctxAt(e.ts)) ?? []));
  }
  return out;
}

/** Busy-but-normal IT traffic: browsing to many sites, a nightly backup, a monitoring system polling many hosts. */
export function busyItTraffic(from: number, to: number, seed = 7): EventBase[] {
  const r = rng(seed);
  const ev: EventBase[] = [];
  const workstations = Array.from({ length: 12 }, (_, i) => `10.10.5.${10 + i}`);
  // Browsing: each workstation opens connections to a mix of popular and long-tail sites, bursty, human-timed.
  for (const ws of workstations) {
    for (let t = from + r() * 60; t < to; t += 10 + r() * 150) {
      const burst = 1 + Math.floor(r() * 8);
      for (let k = 0; k < burst; k++) {
        const site = r() < 0.6 ? `203.0.113.${1 + Math.floor(r() * 30)}` : `198.51.100.${1 + Math.floor(r() * 250)}`;
        const flow = `W${(flowSeq++).toString(36)}`;
        const [s, e] = connection({ ts: t + k * 0.2, src: ws, dst: site, dport: r() < 0.9 ? 443 : 80, duration: 1 + r() * 30, bytesToServer: 800 + Math.floor(r() * 4000), bytesToClient: 5000 + Math.floor(r() * 500000) });
        ev.push({ ...s, flow }, { ...e, flow }, clientHello({ ts: t + k * 0.2 + 0.01, src: ws, dst: site, sni: `www.site${Math.floor(r() * 400)}.example`, flow }));
        ev.push(dnsQuery({ ts: t + k * 0.2 - 0.05, src: ws, dst: "10.10.0.53", query: `cdn${Math.floor(r() * 9)}.site${Math.floor(r() * 400)}.example` }));
      }
    }
  }
  // Monitoring: one server polls 60 hosts on 161/udp and 443/tcp every 60 s.
  for (let t = from; t < to; t += 60) {
    for (let h = 0; h < 60; h++) {
      const host = `10.10.${20 + Math.floor(h / 30)}.${1 + (h % 30)}`;
      ev.push(...connection({ ts: t + h * 0.05, src: "10.10.1.5", dst: host, dport: 161, transport: "udp", bytesToServer: 90, bytesToClient: 300 }));
      ev.push(...connection({ ts: t + 1 + h * 0.05, src: "10.10.1.5", dst: host, dport: 443, bytesToServer: 500, bytesToClient: 2000 }));
    }
  }
  // Nightly backup: file server pushes 3 GB to the backup server it always talks to.
  for (let t = from + 600; t < to; t += 3600) {
    ev.push(...connection({ ts: t, src: "10.10.2.10", dst: "10.10.2.20", dport: 445, duration: 900, bytesToServer: 3_000_000_000, bytesToClient: 2_000_000 }));
  }
  return ev;
}

/**
 * A small plant's normal shape (its own addresses, not the dev scenario's): an HMI polling two PLCs over persistent
 * connections, a DMZ historian's long OPC UA session, an engineering workstation opening a new OPC UA session every
 * 7.5-13 min, workstations resolving a few names every 30-180 s, RDP sessions to the DMZ jump host, gateway ARP refreshes.
 */
export function plantNormalTraffic(from: number, to: number, seed = 5): EventBase[] {
  const r = rng(seed);
  const ev: EventBase[] = [];
  for (const plc of ["192.168.20.11", "192.168.20.12"]) {
    ev.push(...connection({ ts: from, src: "192.168.10.5", dst: plc, dport: 502, duration: to - from, midstream: true, bytesToServer: 9_000_000, bytesToClient: 12_000_000 }));
  }
  ev.push(...connection({ ts: from, src: "10.20.0.20", dst: "192.168.10.7", dport: 4840, duration: to - from, midstream: true, bytesToServer: 2_000_000, bytesToClient: 30_000_000 }));
  for (let t = from + 60; t < to; t += 450 + r() * 330) {
    ev.push(...connection({ ts: t, src: "192.168.10.6", dst: "192.168.10.7", dport: 4840, duration: 20 + r() * 20, bytesToServer: 20_000, bytesToClient: 80_000 }));
  }
  const names = ["intranet.corp.example", "mail.corp.example", "erp.corp.example", "www.vendor.example", "updates.vendor.example"];
  for (let w = 0; w < 5; w++) {
    for (let t = from + r() * 60; t < to; t += 30 + r() * 150) {
      const src = `10.10.8.${31 + w}`;
      ev.push(...connection({ ts: t, src, dst: "10.10.0.53", dport: 53, transport: "udp", bytesToServer: 70, bytesToClient: 130 }));
      ev.push(dnsQuery({ ts: t, src, dst: "10.10.0.53", query: names[Math.floor(r() * names.length)]! }));
    }
  }
  for (let t = from + 300; t < to; t += 1200 + r() * 1200) {
    ev.push(...connection({ ts: t, src: `10.10.8.${31 + Math.floor(r() * 3)}`, dst: "10.20.0.30", dport: 3389, duration: 300 + r() * 900, bytesToServer: 400_000, bytesToClient: 3_000_000 }));
  }
  for (let t = from; t < to; t += 120) ev.push(arpRequest({ ts: t, senderIp: "192.168.20.1", targetIp: `192.168.20.${11 + (Math.floor(t / 120) % 2)}` }));
  return ev;
}
