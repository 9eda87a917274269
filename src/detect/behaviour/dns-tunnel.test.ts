// DNS tunnelling: fires fast on encoded subdomains and on TXT volume, stays quiet on browsing/CDN names, on reverse
// lookups and on a domain whose hashed-label pattern was already there in learning.
import { describe, expect, it } from "vitest";
import type { EventBase } from "../../core/types.ts";
import { DNS_TUNNEL_MAX_ENTRIES, DnsTunnelAnalyzer, looksEncoded, splitName } from "./dns-tunnel.ts";
import { T0, busyItTraffic, dnsQuery, drive, plantNormalTraffic, rng } from "./test-kit.ts";

const LEARN = T0 + 3600;
const RESOLVER = "10.10.0.53";

function randomLabel(r: () => number, n: number, alphabet = "abcdefghijklmnopqrstuvwxyz234567"): string {
  let s = "";
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

function tunnel(src: string, domain: string, from: number, count: number, every: number, qtype = 16, seed = 5): EventBase[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) =>
    dnsQuery({ ts: from + i * every, src, dst: RESOLVER, query: `${randomLabel(r, 52)}.${randomLabel(r, 8)}.${domain}`, qtype }),
  );
}

describe("name helpers", () => {
  it("splits on the public suffix list and recognises encoded labels", () => {
    expect(splitName("a.b.example.co.uk")).toEqual({ domain: "example.co.uk", sub: "a.b" });
    expect(splitName("www.example.com")).toEqual({ domain: "example.com", sub: "www" });
    expect(splitName("example.com")).toBeUndefined();
    expect(splitName("4.3.2.1.in-addr.arpa")).toBeUndefined();
    expect(splitName("host.plant.local")).toBeUndefined();
    expect(splitName("d1234abcd.cloudfront.net")).toBeUndefined();
    expect(looksEncoded("mzxw6ytboi2dsnzrgizdgnbvgy3tqojq")).toBe(true);
    expect(looksEncoded("e3b0c44298fc1c149afbf4c8996fb924e3b0c442")).toBe(true);
    expect(looksEncoded("www")).toBe(false);
    expect(looksEncoded("login.microsoftonline")).toBe(false);
  });
});

describe("DnsTunnelAnalyzer", () => {
  it("keeps its state bounded under a flood of random names over many domains, and still catches a tunnel after it", () => {
    const r = rng(3);
    const a = new DnsTunnelAnalyzer();
    // 3,000 domains × 200 unique subdomains = 600,000 names inside one window: more than the entry budget.
    const flood: EventBase[] = [];
    for (let d = 0; d < 3000; d++) {
      const domain = `${randomLabel(r, 10)}.example`;
      for (let i = 0; i < 200; i++) flood.push(dnsQuery({ ts: LEARN + 10 + d * 0.05 + i * 0.0002, src: "10.10.5.50", dst: RESOLVER, query: `w${i}.${domain}` }));
    }
    const drafts = drive(a, [...flood, ...tunnel("10.10.5.34", "relay-sync.example", LEARN + 300, 40, 0.8)], LEARN);
    const held = (a as unknown as { entries: number }).entries;
    expect(held).toBeLessThanOrEqual(DNS_TUNNEL_MAX_ENTRIES);
    expect(held).toBeGreaterThan(DNS_TUNNEL_MAX_ENTRIES / 2);
    expect(drafts.some((d) => d.src === "10.10.5.34" && d.evidence.domain === "relay-sync.example")).toBe(true);
  });

  it("fires within seconds on long high-entropy TXT queries to a new domain, once, naming client and resolver", () => {
    const ev = [...busyItTraffic(T0, LEARN + 1800), ...tunnel("10.10.5.34", "relay-sync.example", LEARN + 300, 220, 0.8)];
    const drafts = drive(new DnsTunnelAnalyzer(), ev, LEARN);
    expect(drafts.map((d) => `${d.kind} ${d.src} ${d.dst}`)).toEqual(["dns.tunnel 10.10.5.34 10.10.0.53"]);
    const d = drafts[0]!;
    expect(d.ts! - (LEARN + 300)).toBeLessThan(20);
    expect(d.attack).toEqual(["T1071.004", "T1048"]);
    expect(d.evidence.domain).toBe("relay-sync.example");
    expect(d.summary).toContain("unique long high-entropy subdomains of relay-sync.example");
  });

  it("fires on hex-encoded A queries (dnscat-like) and on TXT volume with short labels", () => {
    const r = rng(9);
    const hexTunnel = Array.from({ length: 40 }, (_, i) =>
      dnsQuery({ ts: LEARN + 100 + i * 3, src: "192.168.10.6", dst: RESOLVER, query: `${randomLabel(r, 30, "0123456789abcdef")}.c2.example`, qtype: 1 }),
    );
    const txt = Array.from({ length: 40 }, (_, i) => dnsQuery({ ts: LEARN + 100 + i * 5, src: "10.10.5.40", dst: RESOLVER, query: `q${i}.cmd.example`, qtype: 16 }));
    const drafts = drive(new DnsTunnelAnalyzer(), [...hexTunnel, ...txt], LEARN);
    expect(drafts.map((d) => `${d.src} ${d.evidence.domain} ${d.severity}`).sort()).toEqual([
      "10.10.5.40 cmd.example medium",
      "192.168.10.6 c2.example critical",
    ]);
  });

  it("stays quiet on busy browsing with CDN-like names and reverse lookups", () => {
    const r = rng(11);
    const cdn: EventBase[] = [];
    // A client reaches a limited pool of CDN edge names; reverse lookups and per-distribution names are all distinct.
    const edges = Array.from({ length: 40 }, () => `r${Math.floor(r() * 9)}---sn-${randomLabel(r, 8)}`);
    for (let i = 0; i < 300; i++) {
      const t = LEARN + i * 4;
      cdn.push(dnsQuery({ ts: t, src: "10.10.5.12", dst: RESOLVER, query: `${edges[i % edges.length]}.googlevideo.com` }));
      cdn.push(dnsQuery({ ts: t + 1, src: "10.10.5.13", dst: RESOLVER, query: `${randomLabel(r, 3, "0123456789")}.${randomLabel(r, 3, "0123456789")}.10.10.in-addr.arpa`, qtype: 12 }));
      cdn.push(dnsQuery({ ts: t + 2, src: "10.10.5.14", dst: RESOLVER, query: `d${randomLabel(r, 13, "0123456789abcdef")}.cloudfront.net` }));
      cdn.push(dnsQuery({ ts: t + 3, src: "10.10.5.15", dst: RESOLVER, query: `www.site${Math.floor(r() * 5000)}.example` }));
    }
    expect(drive(new DnsTunnelAnalyzer(), [...busyItTraffic(T0, LEARN + 1800), ...plantNormalTraffic(T0, LEARN + 1800), ...cdn], LEARN)).toEqual([]);
  });

  it("stays quiet on a domain whose hashed labels were there in learning (e.g. an antivirus lookup service)", () => {
    const before = tunnel("10.10.5.20", "avqs.vendor.example", T0 + 60, 300, 10, 1, 1);
    const after = tunnel("10.10.5.21", "avqs.vendor.example", LEARN + 60, 300, 10, 1, 2);
    const a = new DnsTunnelAnalyzer();
    expect(drive(a, [...before, ...after], LEARN)).toEqual([]);
    const b = new DnsTunnelAnalyzer();
    b.importModel(JSON.parse(JSON.stringify(a.exportModel())));
    expect(drive(b, after, LEARN)).toEqual([]);
  });
});
