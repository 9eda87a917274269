// Conformance of reader + decoder with tshark 4.0.17 on every shared capture: for every row of every reference TSV the
// frame with that number has the same frame.len, timestamp (µs), IPv4/IPv6 addresses and TCP/UDP ports (and, where the
// reference has them, VLAN id and MAC addresses).
import { describe, expect, it } from "vitest";
import { Counters } from "../core/counters.ts";
import { readCapture } from "../capture/source.ts";
import { createPacket, decodeFrame } from "./decode.ts";
import { formatIp, formatMac } from "./format.ts";
import { epochMicros, listRefTsvs, readRef, refList } from "../../test/helpers/tshark-ref.ts";

interface Seen {
  len: number;
  us: number;
  ok: boolean;
  v: number;
  src: string;
  dst: string;
  proto: number;
  sport: number;
  dport: number;
  vlan: number;
  srcMac: string;
  dstMac: string;
}

/** First occurrence: ICMP errors and tunnels repeat ip.src/ports for the inner header; the outer one comes first. */
function first(v: string | undefined): string {
  return refList(v)[0] ?? "";
}

describe("decoded frames equal tshark's", () => {
  for (const ref of listRefTsvs()) {
    it(`${ref.name} (${ref.proto})`, async () => {
      const rows = readRef(ref.tsv);
      expect(rows.length).toBeGreaterThan(0);
      const wanted = new Set(rows.map((r) => Number(r["frame.number"])));
      const seen = new Map<number, Seen>();
      const counters = new Counters();
      const pkt = createPacket();
      await readCapture(
        ref.capture,
        (f) => {
          if (!wanted.has(f.index)) return;
          const ok = decodeFrame(f, pkt, counters);
          seen.set(f.index, {
            len: f.origLen,
            us: Math.round(f.ts * 1e6),
            ok,
            v: pkt.ipVersion,
            src: pkt.ipVersion ? formatIp(pkt.srcIp) : "",
            dst: pkt.ipVersion ? formatIp(pkt.dstIp) : "",
            proto: pkt.proto,
            sport: pkt.srcPort,
            dport: pkt.dstPort,
            vlan: pkt.vlan,
            srcMac: pkt.srcMac ? formatMac(pkt.srcMac) : "",
            dstMac: pkt.dstMac ? formatMac(pkt.dstMac) : "",
          });
        },
        counters,
      );
      let compared = 0;
      for (const r of rows) {
        const n = Number(r["frame.number"]);
        const s = seen.get(n);
        expect(s, `frame ${n}`).toBeDefined();
        if (!s) continue;
        const where = `${ref.name} frame ${n}`;
        expect(s.len, where).toBe(Number(r["frame.len"]));
        expect(s.us, where).toBe(epochMicros(r["frame.time_epoch"] ?? ""));
        const ip4 = first(r["ip.src"]);
        const ip6 = first(r["ipv6.src"]);
        if (ip4) expect([s.v, s.src, s.dst], where).toEqual([4, ip4, first(r["ip.dst"])]);
        if (ip6) expect([s.v, s.src, s.dst], where).toEqual([6, ip6, first(r["ipv6.dst"])]);
        if (!ip4 && !ip6) expect(s.v, where).toBe(0);
        const tsp = first(r["tcp.srcport"]);
        const usp = first(r["udp.srcport"]);
        if (tsp) expect([s.proto, s.sport, s.dport], where).toEqual([6, Number(tsp), Number(first(r["tcp.dstport"]))]);
        if (usp) expect([s.proto, s.sport, s.dport], where).toEqual([17, Number(usp), Number(first(r["udp.dstport"]))]);
        if (ip4 || ip6) expect(s.ok, where).toBe(true);
        if (r["vlan.id"] !== undefined) expect(s.vlan, where).toBe(r["vlan.id"] ? Number(first(r["vlan.id"])) : -1);
        if (r["eth.src"] !== undefined) expect([s.srcMac, s.dstMac], where).toEqual([r["eth.src"], r["eth.dst"]]);
        compared++;
      }
      expect(compared).toBe(rows.length);
    });
  }
});
