// Zone lookup (longest prefix, IPv4 and IPv6), unknown/internet fallback, conduit matching, learned OT hosts, service
// naming and address parsing.
import { describe, expect, it } from "vitest";
import { parseSiteConfig } from "../config/site.ts";
import type { EventBase } from "../core/types.ts";
import { parseCidr, parseIpv4, parseIpv6 } from "./ip.ts";
import { isServiceSpec, serviceName } from "./services.ts";
import { ZoneMap } from "./zones.ts";

const CFG = parseSiteConfig(`
site: t
zones:
  - { name: enterprise, level: 4, cidrs: [10.0.0.0/8, "2001:db8::/32"] }
  - { name: dmz, level: 3.5, cidrs: [10.20.0.0/24] }
  - { name: control, level: 1, cidrs: [10.20.0.128/25, "2001:db8:1:2::/64"] }
  - { name: host, level: 2, cidrs: [10.20.0.200] }
conduits:
  - { from: dmz, to: control, service: opcua }
  - { from: enterprise, to: any, service: tcp/8080 }
`, "t.yaml");

describe("ZoneMap.zoneOf", () => {
  const zones = new ZoneMap(CFG);
  it("picks the longest matching prefix", () => {
    expect(zones.zoneOf("10.1.2.3")).toEqual({ name: "enterprise", level: 4 });
    expect(zones.zoneOf("10.20.0.5")).toEqual({ name: "dmz", level: 3.5 });
    expect(zones.zoneOf("10.20.0.130")).toEqual({ name: "control", level: 1 });
    expect(zones.zoneOf("10.20.0.200")).toEqual({ name: "host", level: 2 });
    expect(zones.zoneOf("10.20.0.200")).toEqual({ name: "host", level: 2 }); // cached path
  });
  it("looks up IPv6 (compressed forms too)", () => {
    expect(zones.zoneOf("2001:db8:1:2::10").name).toBe("control");
    expect(zones.zoneOf("2001:0db8:0001:0003:0000:0000:0000:0001").name).toBe("enterprise");
  });
  it("labels addresses in no zone unknown (private, link-local, loopback, ULA) or internet", () => {
    for (const ip of ["192.168.1.1", "172.16.5.5", "169.254.1.1", "127.0.0.1", "fd12::1", "fe80::1", "::1", "224.0.0.1"]) {
      expect(zones.zoneOf(ip).name, ip).toBe("unknown");
      expect(Number.isNaN(zones.zoneOf(ip).level)).toBe(true);
    }
    for (const ip of ["8.8.8.8", "198.18.0.77", "172.32.0.1", "2a00:1450::1"]) expect(zones.zoneOf(ip).name, ip).toBe("internet");
  });
});

describe("conduits", () => {
  const zones = new ZoneMap(CFG);
  it("match zone names and services by name, port spec or any", () => {
    expect(zones.allows("dmz", "control", "tcp", 4840, "opcua")).toBe(true);
    expect(zones.allows("dmz", "control", "tcp", 502, "modbus")).toBe(false);
    expect(zones.allows("control", "dmz", "tcp", 4840, "opcua")).toBe(false); // direction matters
    expect(zones.allows("enterprise", "host", "tcp", 8080, "http")).toBe(true);
    expect(zones.allows("enterprise", "host", "udp", 8080, "udp/8080")).toBe(false);
  });
});

describe("learned OT hosts", () => {
  const ev = (type: string, dst: string, extra: Record<string, unknown> = {}): EventBase =>
    ({ type, ts: 1, frame: 1, flow: "F1", src: "192.168.0.9", sport: 40000, dst, dport: 502, ...extra }) as EventBase;

  it("without a config, a host answering an industrial protocol becomes OT at level 1", () => {
    const zones = new ZoneMap();
    expect(zones.zoneOf("192.168.0.10").name).toBe("unknown");
    zones.observe(ev("modbus", "192.168.0.10", { status: "ok" }));
    expect(zones.zoneOf("192.168.0.10")).toEqual({ name: "learned-ot", level: 1 });
    zones.observe(ev("modbus", "192.168.0.11", { status: "timeout" })); // nobody answered
    expect(zones.zoneOf("192.168.0.11").name).toBe("unknown");
    zones.observe(ev("flow.end", "192.168.0.12", { transport: "tcp", service: undefined, established: true }));
    zones.observe(ev("flow.end", "192.168.0.13", { transport: "tcp", service: undefined, established: false }));
    expect(zones.zoneOf("192.168.0.12").name).toBe("learned-ot");
    expect(zones.zoneOf("192.168.0.13").name).toBe("unknown");
    zones.observe(ev("flow.end", "192.168.0.14", { transport: "tcp", established: true, dport: 80 }));
    expect(zones.zoneOf("192.168.0.14").name).toBe("unknown");
    expect(zones.exportLearned()).toEqual(["192.168.0.10", "192.168.0.12"]);
    const again = new ZoneMap();
    again.importLearned(zones.exportLearned());
    expect(again.zoneOf("192.168.0.12").level).toBe(1);
  });

  it("a configured zone always wins over learning", () => {
    const zones = new ZoneMap(CFG);
    zones.observe(ev("opcua.service", "10.1.1.1", { status: "ok" }));
    expect(zones.zoneOf("10.1.1.1").name).toBe("enterprise");
    zones.observe(ev("opcua.service", "192.168.7.7", { status: "ok" }));
    expect(zones.zoneOf("192.168.7.7").name).toBe("learned-ot");
  });
});

describe("services and addresses", () => {
  it("names services from dissector, then well-known port, else tcp/<port> or dynamic", () => {
    expect(serviceName("tcp", 5020, "modbus")).toBe("modbus");
    expect(serviceName("tcp", 502)).toBe("modbus");
    expect(serviceName("tcp", 4840)).toBe("opcua");
    expect(serviceName("udp", 53)).toBe("dns");
    expect(serviceName("tcp", 3389)).toBe("rdp");
    expect(serviceName("tcp", 445)).toBe("smb");
    expect(serviceName("tcp", 22)).toBe("ssh");
    expect(serviceName("tcp", 1234)).toBe("tcp/1234");
    expect(serviceName("udp", 60000)).toBe("udp/dynamic");
    expect(isServiceSpec("tcp/1234")).toBe(true);
    expect(isServiceSpec("tcp/0")).toBe(false);
    expect(isServiceSpec("sctp/1")).toBe(false);
  });
  it("parses IPv4/IPv6/CIDR strictly", () => {
    expect(parseIpv4("10.40.2.101")).toBe(0x0a28_0265);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
    for (const bad of ["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "a.b.c.d", "1..2.3"]) expect(parseIpv4(bad), bad).toBe(-1);
    expect(parseIpv6("::")).toBe(0n);
    expect(parseIpv6("::ffff:10.0.0.1")).toBe(0xffff0a000001n);
    expect(parseIpv6("1:2:3:4:5:6:7:8:9")).toBeUndefined();
    expect(parseIpv6("1::2::3")).toBeUndefined();
    expect(parseCidr("10.1.2.3/8")?.net).toBe(0x0a000000);
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("fd00::/129")).toBeUndefined();
    expect(parseCidr("fd00::/8")?.prefix).toBe(8);
  });
});
