// Scenario generator, synthesised traffic (built offline with test/fixtures/capture-builder.ts, merged by time): ARP
// between the gateways and the hosts, enterprise DNS, RDP from the enterprise to the DMZ jump host (an allowed
// conduit), and the two attacks loopback cannot produce — a SYN scan of the control network and a TLS beacon to an
// internet host. All times are scenario epoch seconds; the generator is seeded.
import { arp, ethernet, ethIpv4Udp, concat, u16 } from "../../fixtures/capture-builder.ts";
import { fixChecksums, type OutRecord } from "./pcap-out.ts";
import { GATEWAY_MAC, HOSTS, ZONES, between, host, type Host } from "./plant.ts";
import { macPair } from "./rewrite.ts";
import { BEACON, SCAN_PORTS } from "./schedule.ts";
import { ACK, RST, SYN, TcpConversation, appData, clientHello, serverFlight, tcpFrame } from "./synth-tcp.ts";

export interface Span {
  start: number;
  end: number;
}

/** Every ~2 min each gateway asks for each host of its zone; the host answers. */
export function arpTraffic(out: OutRecord[], from: number, to: number, r: () => number): void {
  for (const z of ZONES) {
    const members = HOSTS.filter((h) => h.zone === z.name);
    for (let t = from + between(r, 1, 30); t < to; t += between(r, 100, 140)) {
      members.forEach((h, i) => {
        const at = t + i * 0.35;
        const req = arp({ op: 1, senderMac: GATEWAY_MAC, senderIp: z.gateway, targetMac: "00:00:00:00:00:00", targetIp: h.ip });
        const rep = arp({ op: 2, senderMac: h.mac, senderIp: h.ip, targetMac: GATEWAY_MAC, targetIp: z.gateway });
        out.push({ ts: at, data: ethernet({ src: GATEWAY_MAC, dst: "ff:ff:ff:ff:ff:ff", ethertype: 0x0806, payload: req }) });
        out.push({ ts: at + 0.0004, data: ethernet({ src: h.mac, dst: GATEWAY_MAC, ethertype: 0x0806, payload: rep }) });
      });
    }
  }
}

function dnsName(name: string): Uint8Array {
  return concat(...name.split(".").map((l) => concat(Uint8Array.of(l.length), new TextEncoder().encode(l))), Uint8Array.of(0));
}

const DNS_NAMES: readonly [string, string][] = [
  ["intranet.riverside.local", "10.60.1.10"], ["mail.riverside.local", "10.60.1.25"], ["sharepoint.riverside.local", "10.60.1.30"],
  ["time.windows.com", "20.101.57.9"], ["login.microsoftonline.com", "20.190.159.2"], ["www.riverside-water.org", "203.0.113.80"],
];

export function dnsTraffic(out: OutRecord[], from: number, to: number, r: () => number): void {
  const resolver = host("dns");
  for (const ws of [host("ws1"), host("ws2"), host("ws3")]) {
    for (let t = from + between(r, 1, 40); t < to; t += between(r, 25, 95)) {
      const [name, addr] = DNS_NAMES[Math.floor(r() * DNS_NAMES.length)]!;
      const id = Math.floor(r() * 65536);
      const q = concat(u16(id), u16(0x0100), u16(1), u16(0), u16(0), u16(0), dnsName(name), u16(1), u16(1));
      const answer = concat(u16(0xc00c), u16(1), u16(1), Uint8Array.of(0, 0, 1, 44), u16(4), Uint8Array.from(addr.split(".").map(Number)));
      const a = concat(u16(id), u16(0x8180), u16(1), u16(1), u16(0), u16(0), dnsName(name), u16(1), u16(1), answer);
      const sport = 49152 + Math.floor(r() * 16000);
      out.push(udpFrame(t, ws, resolver, sport, 53, q));
      out.push(udpFrame(t + between(r, 0.0008, 0.004), resolver, ws, 53, sport, a));
    }
  }
}

function udpFrame(ts: number, from: Host, to: Host, sport: number, dport: number, payload: Uint8Array): OutRecord {
  const f = ethIpv4Udp({ src: from.ip, dst: to.ip, sport, dport, payload });
  const [dmac, smac] = macPair(from, to);
  f.set(dmac, 0);
  f.set(smac, 6);
  fixChecksums(f);
  return { ts, data: f };
}

/**
 * A few RDP sessions workstation → jump host: X.224 Connection Request/Confirm with RDP negotiation (MS-RDPBCGR
 * §2.2.1.1-2.2.1.2, HYBRID selected), then TLS as the security layer: hello, then application-data records both ways.
 */
export function rdpTraffic(out: OutRecord[], from: number, to: number, r: () => number): void {
  const jump = host("jump");
  const span = to - from;
  const sessions = Math.max(1, Math.round(span / 1200));
  for (let k = 0; k < sessions; k++) {
    const ws = [host("ws1"), host("ws2")][k % 2]!;
    let t = from + (span * (k + between(r, 0.1, 0.6))) / sessions;
    const c = new TcpConversation(out, ws, jump, 50000 + Math.floor(r() * 10000), 3389, r);
    const rtt = 0.0009;
    t = c.open(t, rtt);
    t = c.send(t + 0.001, true, Uint8Array.from([3, 0, 0, 19, 14, 0xe0, 0, 0, 0, 0, 0, 1, 0, 8, 0, 3, 0, 0, 0]), rtt);
    t = c.send(t + 0.001, false, Uint8Array.from([3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 2, 0, 0, 0]), rtt);
    t = c.send(t + 0.001, true, clientHello("jump01.riverside.local", r), rtt);
    t = c.send(t + 0.002, false, serverFlight(r, 1400), rtt);
    const end = t + between(r, 60, 180);
    while (t < end) {
      t = c.send(t + between(r, 0.5, 4), false, appData(r, Math.floor(between(r, 60, 420))), rtt);
      if (r() < 0.4) t = c.send(t + between(r, 0.05, 0.5), true, appData(r, Math.floor(between(r, 20, 60))), rtt);
    }
    c.close(t + 0.5, rtt);
  }
}

/** SYN scan of the control zone from `attacker`; live hosts answer SYN-ACK on 502 and RST otherwise. */
export function portScan(out: OutRecord[], start: number, attacker: Host, r: () => number): Span {
  const open = new Map<string, Host>([[host("plc1").ip, host("plc1")], [host("plc2").ip, host("plc2")]]);
  const probes: [number, number][] = [];
  for (let i = 1; i <= 254; i++) for (const p of SCAN_PORTS) probes.push([i, p]);
  for (let i = probes.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [probes[i], probes[j]] = [probes[j]!, probes[i]!];
  }
  const sport = 40000 + Math.floor(r() * 20000);
  let t = start;
  for (const [last, port] of probes) {
    const ip = `192.168.60.${last}`;
    const target: Host = open.get(ip) ?? { role: "plc1", description: "", lo: "", ip, mac: GATEWAY_MAC, zone: "control" };
    const seq = Math.floor(r() * 2 ** 32);
    out.push({ ts: t, data: tcpFrame(attacker, target, sport, port, SYN, seq, 0, undefined, 64) });
    if (open.has(ip)) {
      const rtt = between(r, 0.0003, 0.0009);
      if (port === 502) {
        out.push({ ts: t + rtt, data: tcpFrame(target, attacker, port, sport, SYN | ACK, Math.floor(r() * 2 ** 32), seq + 1) });
        out.push({ ts: t + rtt + 0.00005, data: tcpFrame(attacker, target, sport, port, RST, seq + 1, 0) });
      } else {
        out.push({ ts: t + rtt, data: tcpFrame(target, attacker, port, sport, RST | ACK, 0, seq + 1) });
      }
    }
    t += between(r, 0.0015, 0.0035);
  }
  return { start, end: t + 0.01 };
}

/** TLS sessions `from` → internet host every BEACON.periodS ± jitter, from start to end. */
export function beacon(out: OutRecord[], start: number, end: number, from: Host, r: () => number): Span {
  const ext = host("external");
  let t = start;
  let last = start;
  while (t < end) {
    const c = new TcpConversation(out, from, ext, 49700 + Math.floor(r() * 15000), BEACON.port, r, 128, 52);
    const rtt = between(r, 0.028, 0.041);
    let u = c.open(t, rtt);
    u = c.send(u + 0.0002, true, clientHello(BEACON.sni, r), rtt);
    u = c.send(u, false, serverFlight(r, 1100 + Math.floor(r() * 60)), rtt);
    u = c.send(u + 0.001, true, concat(appData(r, 53), appData(r, 190 + Math.floor(r() * 30))), rtt);
    u = c.send(u + 0.01, false, appData(r, 70 + Math.floor(r() * 20)), rtt);
    last = c.close(u + 0.05, rtt);
    t += BEACON.periodS * between(r, 1 - BEACON.jitter, 1 + BEACON.jitter);
  }
  return { start, end: last };
}
