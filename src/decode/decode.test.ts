// decodeFrame on synthetic frames: every link type, VLAN/QinQ, IPv4 options and fragments, IPv6 extension headers and
// fragments, TCP/UDP/ICMP/ARP, truncation at every offset and random mutation (never throws, always counted).
import { describe, expect, it } from "vitest";
import { Counters } from "../core/counters.ts";
import type { Frame, Packet } from "../core/types.ts";
import { createPacket, decodeFrame } from "./decode.ts";
import { formatIp, formatMac } from "./format.ts";
import { arp, concat, ethernet, ethIpv4Tcp, hex, ip, ipv4, ipv6, ipv6FragBody, mac, tcp, u16, u32, udp } from "../../test/fixtures/capture-builder.ts";

function frame(data: Uint8Array, linkType = 1, index = 7): Frame {
  return { index, ts: 1_700_000_000.5, linkType, iface: 0, data, origLen: data.length };
}

function decode(data: Uint8Array, linkType = 1): { ok: boolean; pkt: Packet; counters: Counters } {
  const pkt = createPacket();
  const counters = new Counters();
  const ok = decodeFrame(frame(data, linkType), pkt, counters);
  return { ok, pkt, counters };
}

const PAYLOAD = new TextEncoder().encode("\x00\x01\x00\x00\x00\x06\x01\x03\x00\x00\x00\x0a");
const udpV4 = ipv4({ src: "10.1.2.3", dst: "10.9.8.7", proto: 17, payload: udp({ sport: 40000, dport: 20000, payload: PAYLOAD }) });
const tcpV6 = ipv6({ src: "2001:db8::1", dst: "fe80::2", next: 6, payload: tcp({ sport: 4840, dport: 50000, payload: PAYLOAD }) });

function summary(p: Packet): unknown[] {
  return [p.ipVersion, formatIp(p.srcIp), formatIp(p.dstIp), p.proto, p.srcPort, p.dstPort, Buffer.from(p.payload).toString("hex")];
}

describe("Ethernet, IPv4, TCP", () => {
  it("fills every field with views into the frame", () => {
    const data = ethernet({
      src: "00:1d:9c:c7:b0:70",
      dst: "00:80:f4:09:51:3b",
      ethertype: 0x0800,
      payload: ipv4({ src: "192.168.1.10", dst: "192.168.1.20", proto: 6, ttl: 33, payload: tcp({ sport: 50123, dport: 502, seq: 0xfffffff0, ack: 0x80000001, flags: 0x18, window: 4321, payload: PAYLOAD }) }),
    });
    const { ok, pkt, counters } = decode(data);
    expect(ok).toBe(true);
    expect(pkt.frame).toBe(7);
    expect(pkt.ts).toBe(1_700_000_000.5);
    expect(formatMac(pkt.srcMac!)).toBe("00:1d:9c:c7:b0:70");
    expect(formatMac(pkt.dstMac!)).toBe("00:80:f4:09:51:3b");
    expect(pkt.vlan).toBe(-1);
    expect(summary(pkt)).toEqual([4, "192.168.1.10", "192.168.1.20", 6, 50123, 502, Buffer.from(PAYLOAD).toString("hex")]);
    expect([pkt.ttl, pkt.seq, pkt.ack, pkt.tcpFlags, pkt.window, pkt.ipLen, pkt.fragment]).toEqual([33, 0xfffffff0, 0x80000001, 0x18, 4321, 52, false]);
    expect(pkt.payload.buffer).toBe(data.buffer); // zero copy
    expect(counters.snapshot()).toEqual({});
  });

  it("excludes Ethernet padding beyond the IPv4 total length", () => {
    const data = concat(ethIpv4Tcp({ src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 2, payload: Uint8Array.of(0xaa) }), new Uint8Array(5));
    const { pkt } = decode(data);
    expect(Buffer.from(pkt.payload).toString("hex")).toBe("aa");
    expect(pkt.ipLen).toBe(41);
  });

  it("skips IPv4 options and bounds by the captured length when the total length claims more", () => {
    const opts = hex("94040000"); // router alert
    const data = ethernet({ ethertype: 0x0800, payload: ipv4({ src: "1.2.3.4", dst: "5.6.7.8", proto: 17, options: opts, totalLength: 1500, payload: udp({ sport: 7, dport: 9, payload: PAYLOAD }) }) });
    const { ok, pkt } = decode(data);
    expect(ok).toBe(true);
    expect(summary(pkt)).toEqual([4, "1.2.3.4", "5.6.7.8", 17, 7, 9, Buffer.from(PAYLOAD).toString("hex")]);
    expect(pkt.ipLen).toBe(1500);
  });

  it("a later packet resets what an earlier one set (one reused Packet)", () => {
    const pkt = createPacket();
    const counters = new Counters();
    decodeFrame(frame(ethIpv4Tcp({ src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 2, vlans: [{ id: 5 }] })), pkt, counters);
    decodeFrame(frame(ethernet({ ethertype: 0x0806, payload: arp({ op: 1, senderMac: "02:00:00:00:00:01", senderIp: "10.0.0.1", targetMac: "00:00:00:00:00:00", targetIp: "10.0.0.2" }) })), pkt, counters);
    expect([pkt.ipVersion, pkt.srcPort, pkt.dstPort, pkt.vlan, pkt.proto, pkt.payload.length]).toEqual([0, 0, 0, -1, 0, 0]);
    decodeFrame(frame(udpV4, 101), pkt, counters);
    expect([pkt.arp, pkt.srcMac, pkt.dstMac]).toEqual([undefined, undefined, undefined]);
  });
});

describe("the reused Packet", () => {
  const data = ethIpv4Tcp({ src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 2, payload: PAYLOAD });

  it("builds each view once per packet, over the frame's own bytes", () => {
    const { pkt } = decode(data);
    expect(pkt.srcIp).toBe(pkt.srcIp);
    expect(pkt.payload).toBe(pkt.payload);
    expect(pkt.srcIp.buffer).toBe(data.buffer);
    expect(pkt.srcIp.byteOffset).toBe(data.byteOffset + 26);
    expect(pkt.dstMac!.byteOffset).toBe(data.byteOffset);
  });

  it("assigned views win over decoded ones until the next frame", () => {
    const pkt = createPacket();
    const c = new Counters();
    decodeFrame(frame(data), pkt, c);
    pkt.srcIp = Uint8Array.of(1, 2, 3, 4);
    pkt.srcMac = undefined;
    expect([formatIp(pkt.srcIp), pkt.srcMac]).toEqual(["1.2.3.4", undefined]);
    decodeFrame(frame(data), pkt, c);
    expect([formatIp(pkt.srcIp), formatMac(pkt.srcMac!)]).toEqual(["10.0.0.1", "00:00:5e:00:53:01"]);
  });

  it("a Packet not made by createPacket is filled too", () => {
    const none = new Uint8Array(0);
    const plain: Packet = {
      frame: 0, ts: 0, srcMac: undefined, dstMac: undefined, vlan: -1, ipVersion: 0, srcIp: none, dstIp: none, ttl: 0, proto: 0,
      fragment: false, srcPort: 0, dstPort: 0, seq: 0, ack: 0, tcpFlags: 0, window: 0, payload: none, ipLen: 0, arp: undefined,
    };
    expect(decodeFrame(frame(data), plain, new Counters())).toBe(true);
    expect(summary(plain)).toEqual([4, "10.0.0.1", "10.0.0.2", 6, 1, 2, Buffer.from(PAYLOAD).toString("hex")]);
    expect(formatMac(plain.srcMac!)).toBe("00:00:5e:00:53:01");
  });
});

describe("VLAN tags", () => {
  const cases: Array<[string, Array<{ id: number; tpid?: number }>, number]> = [
    ["802.1Q", [{ id: 100 }], 100],
    ["802.1ad QinQ (outermost wins)", [{ id: 200, tpid: 0x88a8 }, { id: 100 }], 200],
    ["old 0x9100 QinQ", [{ id: 300, tpid: 0x9100 }, { id: 4095 }], 300],
    ["priority tag (id 0)", [{ id: 0 }], 0],
  ];
  for (const [name, vlans, want] of cases) {
    it(name, () => {
      const { ok, pkt } = decode(ethernet({ ethertype: 0x0800, vlans: vlans.map((v) => ({ ...v, pcp: 5 })), payload: udpV4 }));
      expect(ok).toBe(true);
      expect(pkt.vlan).toBe(want);
      expect(summary(pkt).slice(0, 6)).toEqual([4, "10.1.2.3", "10.9.8.7", 17, 40000, 20000]);
    });
  }

  it("more tags than MAX_VLAN_TAGS are dropped and counted", () => {
    const { ok, counters } = decode(ethernet({ ethertype: 0x0800, vlans: new Array(5).fill({ id: 1 }), payload: udpV4 }));
    expect(ok).toBe(false);
    expect(counters.get("decode.vlan.too-many-tags")).toBe(1);
  });
});

describe("link types", () => {
  const sll = concat(u16(0), u16(1), u16(6), mac("00:0c:29:aa:bb:cc"), u16(0), u16(0x0800), udpV4);
  const sll2 = concat(u16(0x86dd), u16(0), u32(3), u16(1), Uint8Array.of(4, 6), mac("00:0c:29:aa:bb:dd"), u16(0), tcpV6);
  const cases: Array<[string, number, Uint8Array, string | undefined]> = [
    ["SLL (113)", 113, sll, "00:0c:29:aa:bb:cc"],
    ["SLL2 (276)", 276, sll2, "00:0c:29:aa:bb:dd"],
    ["raw IPv4 (101)", 101, udpV4, undefined],
    ["raw IPv6 (101)", 101, tcpV6, undefined],
    ["raw (12)", 12, udpV4, undefined],
    ["raw (14)", 14, tcpV6, undefined],
    ["IPv4 (228)", 228, udpV4, undefined],
    ["IPv6 (229)", 229, tcpV6, undefined],
    ["null, little-endian AF_INET", 0, concat(hex("02000000"), udpV4), undefined],
    ["null, big-endian AF_INET", 0, concat(hex("00000002"), udpV4), undefined],
    ["null, AF_INET6 = 24 (NetBSD/OpenBSD)", 0, concat(hex("18000000"), tcpV6), undefined],
    ["null, AF_INET6 = 28 (FreeBSD)", 0, concat(hex("0000001c"), tcpV6), undefined],
    ["null, AF_INET6 = 30 (macOS)", 0, concat(hex("1e000000"), tcpV6), undefined],
    ["loop (108), always big-endian", 108, concat(hex("00000002"), udpV4), undefined],
  ];
  for (const [name, lt, data, srcMac] of cases) {
    it(name, () => {
      const { ok, pkt, counters } = decode(data, lt);
      expect(ok).toBe(true);
      expect(counters.snapshot()).toEqual({});
      const v4 = Buffer.from(data.subarray(data.length - udpV4.length)).equals(Buffer.from(udpV4)); // what the input carries
      expect(summary(pkt)).toEqual(
        v4 ? [4, "10.1.2.3", "10.9.8.7", 17, 40000, 20000, Buffer.from(PAYLOAD).toString("hex")] : [6, "2001:db8::1", "fe80::2", 6, 4840, 50000, Buffer.from(PAYLOAD).toString("hex")],
      );
      expect(pkt.srcMac ? formatMac(pkt.srcMac) : undefined).toBe(srcMac);
    });
  }

  it("unknown link types, ethertypes and loopback families are counted", () => {
    const c = new Counters();
    const pkt = createPacket();
    expect(decodeFrame(frame(udpV4, 999), pkt, c)).toBe(false);
    expect(decodeFrame(frame(ethernet({ ethertype: 0x88b8, payload: new Uint8Array(20) })), pkt, c)).toBe(false);
    expect(decodeFrame(frame(concat(hex("07000000"), udpV4), 0), pkt, c)).toBe(false);
    expect(decodeFrame(frame(Uint8Array.of(0x50, 0, 0, 0), 101), pkt, c)).toBe(false);
    expect(c.snapshot()).toEqual({ "decode.ethertype.unknown": 1, "decode.linktype.unknown": 1, "decode.null.unknown-family": 1, "decode.raw.unknown-version": 1 });
  });
});

describe("fragments and extension headers", () => {
  it("IPv4: the first fragment keeps its ports, later ones carry none; both are counted", () => {
    const first = ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17, mf: true, payload: udp({ sport: 5000, dport: 20000, payload: PAYLOAD }) });
    const later = ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 17, fragOffset: 3, payload: PAYLOAD });
    const c = new Counters();
    const pkt = createPacket();
    expect(decodeFrame(frame(first, 228), pkt, c)).toBe(true);
    expect([pkt.fragment, pkt.srcPort, pkt.dstPort]).toEqual([true, 5000, 20000]);
    expect(decodeFrame(frame(later, 228), pkt, c)).toBe(true);
    expect([pkt.fragment, pkt.proto, pkt.srcPort, pkt.dstPort, pkt.payload.length]).toEqual([true, 17, 0, 0, PAYLOAD.length]);
    expect(c.get("decode.ipv4.fragment")).toBe(2);
  });

  it("IPv6: hop-by-hop, routing and destination options are walked to TCP", () => {
    const data = ipv6({ src: "2001:db8::a", dst: "2001:db8::b", next: 6, ext: [{ type: 0 }, { type: 43, body: new Uint8Array(14) }, { type: 60 }], payload: tcp({ sport: 1234, dport: 502, payload: PAYLOAD }) });
    const { ok, pkt } = decode(ethernet({ ethertype: 0x86dd, payload: data }));
    expect(ok).toBe(true);
    expect(summary(pkt)).toEqual([6, "2001:db8::a", "2001:db8::b", 6, 1234, 502, Buffer.from(PAYLOAD).toString("hex")]);
    expect(pkt.ipLen).toBe(data.length);
  });

  it("IPv6 fragments: first gives ports, later ones none; counted", () => {
    const first = ipv6({ src: "::1", dst: "::2", next: 17, ext: [{ type: 0 }, { type: 44, body: ipv6FragBody(0, true) }], payload: udp({ sport: 9, dport: 10, payload: PAYLOAD }) });
    const later = ipv6({ src: "::1", dst: "::2", next: 17, ext: [{ type: 44, body: ipv6FragBody(2, false) }], payload: PAYLOAD });
    const c = new Counters();
    const pkt = createPacket();
    expect(decodeFrame(frame(first, 229), pkt, c)).toBe(true);
    expect([pkt.fragment, pkt.proto, pkt.srcPort, pkt.dstPort]).toEqual([true, 17, 9, 10]);
    expect(decodeFrame(frame(later, 229), pkt, c)).toBe(true);
    expect([pkt.fragment, pkt.proto, pkt.srcPort, pkt.payload.length]).toEqual([true, 17, 0, PAYLOAD.length]);
    expect(c.get("decode.ipv6.fragment")).toBe(2);
  });

  it("ICMP and ICMPv6: protocol and payload only", () => {
    const icmp = decode(ipv4({ src: "10.0.0.1", dst: "10.0.0.2", proto: 1, payload: hex("0800f7ff00000000") }), 228);
    expect([icmp.ok, icmp.pkt.proto, icmp.pkt.srcPort, icmp.pkt.payload.length]).toEqual([true, 1, 0, 8]);
    const icmp6 = decode(ipv6({ src: "fe80::1", dst: "ff02::1", next: 58, payload: hex("8600000040000000") }), 229);
    expect([icmp6.ok, icmp6.pkt.proto, icmp6.pkt.payload.length]).toEqual([true, 58, 8]);
  });

  it("ARP fills pkt.arp", () => {
    const { ok, pkt } = decode(ethernet({ ethertype: 0x0806, payload: arp({ op: 2, senderMac: "00:0c:29:00:00:01", senderIp: "192.168.5.1", targetMac: "00:0c:29:00:00:02", targetIp: "192.168.5.2" }) }));
    expect(ok).toBe(true);
    const a = pkt.arp!;
    expect([a.op, formatMac(a.senderMac), formatIp(a.senderIp), formatMac(a.targetMac), formatIp(a.targetIp), pkt.ipVersion]).toEqual([2, "00:0c:29:00:00:01", "192.168.5.1", "00:0c:29:00:00:02", "192.168.5.2", 0]);
  });
});

describe("truncation and mutation", () => {
  const sll2 = concat(u16(0x86dd), u16(0), u32(3), u16(1), Uint8Array.of(4, 6), mac("00:0c:29:aa:bb:dd"), u16(0), tcpV6);
  const v6ext = ipv6({ src: "::1", dst: "::2", next: 17, ext: [{ type: 0 }, { type: 60 }], payload: udp({ sport: 1, dport: 2, payload: PAYLOAD }) });
  // [name, link type, frame, length of all headers before the transport payload]
  const cases: Array<[string, number, Uint8Array, number]> = [
    ["Ethernet/VLAN/IPv4/TCP", 1, ethIpv4Tcp({ src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 2, payload: PAYLOAD, vlans: [{ id: 3, tpid: 0x88a8 }, { id: 4 }] }), 14 + 8 + 20 + 20],
    ["SLL2/IPv6/TCP", 276, sll2, 20 + 40 + 20],
    ["null/IPv6 ext/UDP", 0, concat(hex("1e000000"), v6ext), 4 + 40 + 8 + 8 + 8],
    ["SLL/IPv4/UDP", 113, concat(u16(0), u16(1), u16(6), mac("00:0c:29:aa:bb:cc"), u16(0), u16(0x0800), udpV4), 16 + 20 + 8],
  ];
  for (const [name, lt, data, hdr] of cases) {
    it(`${name}: cut at every offset → dropped and counted as truncated, or payload cut short`, () => {
      for (let cut = 0; cut <= data.length; cut++) {
        const { ok, pkt, counters } = decode(data.subarray(0, cut), lt);
        const snap = counters.snapshot();
        if (cut < hdr) {
          expect(ok, `cut ${cut}`).toBe(false);
          expect(Object.keys(snap).filter((k) => k.endsWith(".truncated")).length, `cut ${cut}: ${JSON.stringify(snap)}`).toBe(1);
        } else {
          expect(ok, `cut ${cut}`).toBe(true);
          expect(pkt.payload.length).toBe(cut - hdr);
        }
      }
    });
  }

  it("arp cut short is counted", () => {
    const data = ethernet({ ethertype: 0x0806, payload: arp({ op: 1, senderMac: "02:00:00:00:00:01", senderIp: "1.1.1.1", targetMac: "00:00:00:00:00:00", targetIp: "1.1.1.2" }) });
    for (let cut = 14; cut < data.length; cut++) expect(decode(data.subarray(0, cut)).counters.get("decode.arp.truncated")).toBe(1);
  });

  it("random mutations never throw and keep every view inside the frame", () => {
    let seed = 4242;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed % n);
    const pkt = createPacket();
    const counters = new Counters();
    let decoded = 0;
    for (let i = 0; i < 20_000; i++) {
      const [, lt, base] = cases[i % cases.length]!;
      const data = base.slice(0, rnd(base.length + 1));
      for (let k = rnd(6); k > 0 && data.length > 0; k--) data[rnd(data.length)] = rnd(256);
      if (decodeFrame(frame(data, lt), pkt, counters)) {
        decoded++;
        expect(pkt.payload.byteOffset + pkt.payload.length).toBeLessThanOrEqual(data.byteOffset + data.length);
        expect(pkt.srcIp.length).toBe(pkt.ipVersion === 4 ? 4 : 16);
      }
    }
    expect(decoded).toBeGreaterThan(1000);
    expect(counters.sum("decode.")).toBeGreaterThan(1000);
  });
});
