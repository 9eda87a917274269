// End to end on a generated capture of a small plant (not the dev scenario: its own addresses and timings): normal DNS,
// HTTP and TLS traffic during 30 minutes of learning and after, then a TLS beacon from the DMZ, a DNS tunnel, a SYN
// scan of the control network and an HTTP upload from the engineering workstation. The capture goes through the real
// Pipeline (all dissectors), the DetectionEngine and the behaviour analyzers; the anomalies must be exactly those four.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCapture } from "../../src/capture/source.ts";
import { parseSiteConfig } from "../../src/config/site.ts";
import { Counters } from "../../src/core/counters.ts";
import { createBehaviourAnalyzers } from "../../src/detect/behaviour/index.ts";
import { DetectionEngine } from "../../src/detect/engine.ts";
import type { Anomaly } from "../../src/detect/types.ts";
import { ZoneMap } from "../../src/detect/zones.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { dissectors } from "../../protocols/index.ts";
import { dnsDissectors } from "../../protocols/dns/index.ts";
import { httpDissector } from "../../protocols/http/index.ts";
import { tlsDissector } from "../../protocols/tls/index.ts";
import { pcapBytes, type Conversation } from "./it-exchanges.ts";

const SITE = `
site: test-plant
zones:
  - { name: enterprise,  level: 4,   cidrs: [10.10.0.0/16] }
  - { name: dmz,         level: 3.5, cidrs: [10.20.0.0/24] }
  - { name: supervisory, level: 2,   cidrs: [192.168.10.0/24] }
  - { name: control,     level: 1,   cidrs: [192.168.20.0/24] }
conduits:
  - { from: dmz, to: supervisory, service: http }
`;
const T = 1_760_000_000;
const LEARN_S = 1800;

const u16 = (v: number): number[] => [(v >> 8) & 0xff, v & 0xff];
const bytes = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "latin1"));

function dnsQuery(id: number, name: string, qtype: number): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Uint8Array.from([...u16(id), 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, ...u16(qtype), 0, 1]);
}

function dnsAnswer(q: Uint8Array): Uint8Array {
  const qtype = ((q[q.length - 4] ?? 0) << 8) | (q[q.length - 3] ?? 0);
  const rdata = qtype === 16 ? [3, ...Buffer.from("ack")] : [192, 0, 2, 7];
  return Uint8Array.from([...q.subarray(0, 2), 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0, ...q.subarray(12), 0xc0, 12, ...u16(qtype), 0, 1, 0, 0, 0, 60, ...u16(rdata.length), ...rdata]);
}

function clientHello(sni: string): Uint8Array {
  const name = [...Buffer.from(sni)];
  const ext = [...u16(0), ...u16(name.length + 5), ...u16(name.length + 3), 0, ...u16(name.length), ...name];
  const body = [...u16(0x0303), ...new Array<number>(32).fill(3), 0, ...u16(4), ...u16(0x1301), ...u16(0xc02f), 1, 0, ...u16(ext.length), ...ext];
  const hs = [1, 0, ...u16(body.length), ...body];
  return Uint8Array.from([22, 3, 1, ...u16(hs.length), ...hs]);
}

function serverHello(): Uint8Array {
  const body = [...u16(0x0303), ...new Array<number>(32).fill(4), 0, ...u16(0xc02f), 0];
  const hs = [2, 0, ...u16(body.length), ...body];
  return Uint8Array.from([22, 3, 3, ...u16(hs.length), ...hs]);
}

function appData(n: number): Uint8Array {
  return Uint8Array.from([23, 3, 3, ...u16(n), ...new Array<number>(n).fill(0x55)]);
}

function rng(seed: number): () => number {
  let a = seed;
  return () => ((a = (a * 1103515245 + 12345) >>> 0) / 2 ** 32);
}

function plant(): Conversation[] {
  const r = rng(11);
  const convs: Conversation[] = [];
  let sport = 30000;
  const names = ["intranet.example.com", "mail.example.com", "erp.example.com", "www.vendor-portal.example.net"];
  // Normal, the whole hour: workstation DNS, HMI reading the historian's HTTP API, historian TLS reports to IT.
  for (let t = T; t < T + 3600; t += 40) {
    for (let w = 0; w < 4; w++) {
      const q = dnsQuery(sport & 0xffff, names[Math.floor(r() * names.length)]!, 1);
      convs.push({ transport: "udp", client: `10.10.5.${11 + w}`, server: "10.10.0.53", sport: sport++, dport: 53, ts: t + w * 7 + r() * 5, chunks: [{ dir: 0, data: q }, { dir: 1, data: dnsAnswer(q) }] });
    }
  }
  for (let t = T + 3; t < T + 3600; t += 60 + r() * 20) {
    convs.push({ transport: "tcp", client: "192.168.10.5", server: "10.20.0.20", sport: sport++, dport: 8080, ts: t, chunks: [{ dir: 0, data: bytes("GET /api/values HTTP/1.1\r\nHost: historian\r\n\r\n") }, { dir: 1, data: bytes(`HTTP/1.1 200 OK\r\nContent-Length: 2000\r\n\r\n${"v".repeat(2000)}`) }] });
  }
  for (let t = T + 10; t < T + 3600; t += 300 + r() * 200) {
    convs.push({ transport: "tcp", client: "10.20.0.20", server: "10.10.1.80", sport: sport++, dport: 443, ts: t, chunks: [{ dir: 0, data: clientHello("reports.example.com") }, { dir: 1, data: serverHello() }, { dir: 0, data: appData(4000) }, { dir: 1, data: appData(300) }] });
  }
  // A06-like beacon from the DMZ historian to a new external host every 60 s ± 5 %.
  for (let i = 0, t = T + LEARN_S + 100; i < 12; i++, t += 60 * (1 + (r() * 2 - 1) * 0.05)) {
    convs.push({ transport: "tcp", client: "10.20.0.20", server: "198.51.100.77", sport: sport++, dport: 8443, ts: t, chunks: [{ dir: 0, data: clientHello("sync.badcdn.example") }, { dir: 1, data: serverHello() }, { dir: 0, data: appData(180) }, { dir: 1, data: appData(40) }] });
  }
  // DNS tunnel: TXT queries with base32-looking labels, one per second.
  for (let i = 0; i < 40; i++) {
    let label = "";
    for (let k = 0; k < 50; k++) label += "abcdefghijklmnopqrstuvwxyz234567"[Math.floor(r() * 32)];
    const q = dnsQuery(i, `${label}.tunnel-relay.example`, 16);
    convs.push({ transport: "udp", client: "10.10.5.13", server: "10.10.0.53", sport: sport++, dport: 53, ts: T + LEARN_S + 600 + i, chunks: [{ dir: 0, data: q }, { dir: 1, data: dnsAnswer(q) }] });
  }
  // SYN scan of the control network from the DMZ jump host: .11/.12 exist (502 open, the rest refused).
  const ports = [21, 22, 23, 80, 102, 135, 443, 445, 502, 1911, 2404, 3389, 4840, 5900, 20000, 44818];
  let st = T + LEARN_S + 1200;
  for (let h = 1; h <= 30; h++) {
    for (const p of ports) {
      const alive = h === 11 || h === 12;
      convs.push({ transport: "tcp", client: "10.20.0.30", server: `192.168.20.${h}`, sport: sport++, dport: p, ts: (st += 0.01), chunks: [], open: alive ? (p === 502 ? "full" : "rejected") : "unanswered" });
    }
  }
  // The engineering workstation uploads 3 MiB by HTTP POST to a host on the internet.
  const body = "z".repeat(3 * 1024 * 1024);
  convs.push({ transport: "tcp", client: "192.168.10.6", server: "203.0.113.9", sport: sport++, dport: 80, ts: T + LEARN_S + 1500, chunks: [{ dir: 0, data: bytes(`POST /drop HTTP/1.1\r\nHost: files.example.org\r\nContent-Length: ${body.length}\r\n\r\n${body}`) }, { dir: 1, data: bytes("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n") }] });
  return convs;
}

const dir = mkdtempSync(join(tmpdir(), "otwatch-behaviour-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("behaviour analyzers end to end", () => {
  it("report exactly the beacon, the tunnel, the scan and the upload on a generated capture", async () => {
    const pcap = join(dir, "plant.pcap");
    writeFileSync(pcap, pcapBytes(plant()));
    const counters = new Counters();
    const anomalies: Anomaly[] = [];
    const engine = new DetectionEngine({ analyzers: createBehaviourAnalyzers(), zones: new ZoneMap(parseSiteConfig(SITE, "site")), learnSeconds: LEARN_S, onAnomaly: (a) => anomalies.push(a), counters, reemitSeconds: 0 });
    const types = new Map<string, number>();
    const p = new Pipeline({ dissectors: [...dissectors, ...dnsDissectors, httpDissector, tlsDissector], counters, onEvent: (e) => {
      types.set(e.type, (types.get(e.type) ?? 0) + 1);
      engine.observe(e);
    } });
    await readCapture(pcap, (f) => {
      p.handleFrame(f);
      engine.tick(f.ts);
    }, counters);
    p.finish();
    expect(counters.sum("internal.")).toBe(0);
    expect(types.get("dns")).toBe(4 * 90 + 40);
    expect(types.get("tls.client-hello")).toBeGreaterThan(12);
    expect(types.get("http")).toBeGreaterThan(40);
    const got = anomalies.map((a) => `${a.kind} ${a.src} ${a.dst}`).sort();
    expect(got).toEqual([
      "dns.tunnel 10.10.5.13 10.10.0.53",
      "net.beacon 10.20.0.20 198.51.100.77",
      "net.exfil 192.168.10.6 203.0.113.9",
      expect.stringMatching(/^net\.(port|host)-scan 10\.20\.0\.30 192\.168\.20\.\d+$/),
    ]);
    const byKind = new Map(anomalies.map((a) => [a.kind, a]));
    expect(byKind.get("net.beacon")?.summary).toMatch(/^10\.20\.0\.20 → 198\.51\.100\.77:8443 \(sync\.badcdn\.example\), 4 connections every (59|60|61) s ± \d+ s/);
    expect(byKind.get("net.exfil")?.summary).toContain("HTTP POST of 3 MiB");
    expect(byKind.get("net.beacon")?.attack).toBe("T0869,T1071.001");
    for (const a of anomalies) expect(Date.parse(a.ts) / 1000).toBeGreaterThanOrEqual(T + LEARN_S);
  });
});
