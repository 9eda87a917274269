// Scenario generator, offline rewrite of the loopback capture: every 127.77.x.y host becomes its plant address, frames get
// the hosts' MACs (a host's own MAC as source; the peer's MAC inside one zone, the gateway's across zones, as a SPAN port
// on the source's segment shows), timestamps are stretched by the time scale onto the scenario's epoch, TCP segments
// larger than an Ethernet MSS are cut into 1460-byte segments (lo's MTU is 64 KiB) and SYN MSS options say 1460.
import { Counters } from "../../../src/core/counters.ts";
import { readCapture } from "../../../src/capture/source.ts";
import { fixChecksums, type OutRecord } from "./pcap-out.ts";
import { GATEWAY_MAC, HOSTS, type Host } from "./plant.ts";
import { mac } from "../../fixtures/capture-builder.ts";

export const ETHERNET_MSS = 1460;

export interface RewriteOptions {
  /** Real epoch seconds of scenario time 0, the time scale, and the scenario epoch of time 0. */
  readonly t0: number;
  readonly scale: number;
  readonly base: number;
}

export interface RewriteResult {
  readonly records: OutRecord[];
  /** Frames dropped: not IPv4 or an address outside the plant map, counted by "src > dst" (for the generator's log). */
  readonly dropped: Map<string, number>;
}

export function macPair(src: Host, dst: Host): [Uint8Array, Uint8Array] {
  const s = src.zone === "internet" ? GATEWAY_MAC : src.mac;
  const d = src.zone === dst.zone && dst.zone !== "internet" ? dst.mac : GATEWAY_MAC;
  return [mac(d), mac(s)];
}

const byLo = new Map(HOSTS.map((h) => [h.lo, h]));
const ipText = (b: Uint8Array, o: number): string => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

function setIp(b: Uint8Array, o: number, ip: string): void {
  ip.split(".").forEach((p, i) => (b[o + i] = Number(p)));
}

function clampMss(b: Uint8Array, tcp: number, hdrLen: number): void {
  let i = tcp + 20;
  while (i < tcp + hdrLen) {
    const kind = b[i]!;
    if (kind === 0) break;
    if (kind === 1) {
      i++;
      continue;
    }
    const len = b[i + 1] ?? 0;
    if (len < 2) break;
    if (kind === 2 && len === 4 && ((b[i + 2]! << 8) | b[i + 3]!) > ETHERNET_MSS) {
      b[i + 2] = ETHERNET_MSS >>> 8;
      b[i + 3] = ETHERNET_MSS & 0xff;
    }
    i += len;
  }
}

/** One lo frame → one or more plant frames (segments split to the Ethernet MSS). */
function rewriteFrame(data: Uint8Array, src: Host, dst: Host): Uint8Array[] {
  const ip = 14;
  const ihl = (data[ip]! & 0x0f) * 4;
  const total = (data[ip + 2]! << 8) | data[ip + 3]!;
  const [dmac, smac] = macPair(src, dst);
  const head = new Uint8Array(data.subarray(0, ip + ihl));
  head.set(dmac, 0);
  head.set(smac, 6);
  setIp(head, ip + 12, src.ip);
  setIp(head, ip + 16, dst.ip);
  if (data[ip + 9] !== 6) {
    const f = new Uint8Array(data.subarray(0, ip + total));
    f.set(head, 0);
    fixChecksums(f);
    return [f];
  }
  const tcp = ip + ihl;
  const hdrLen = (data[tcp + 12]! >> 4) * 4;
  const tcpHead = new Uint8Array(data.subarray(tcp, tcp + hdrLen));
  if (tcpHead[13]! & 0x02) clampMss(tcpHead, 0, hdrLen);
  const payload = data.subarray(tcp + hdrLen, ip + total);
  const seq = new DataView(tcpHead.buffer).getUint32(4);
  const id = (head[ip + 4]! << 8) | head[ip + 5]!;
  const out: Uint8Array[] = [];
  const pieces = Math.max(1, Math.ceil(payload.length / ETHERNET_MSS));
  for (let k = 0; k < pieces; k++) {
    const part = payload.subarray(k * ETHERNET_MSS, (k + 1) * ETHERNET_MSS);
    const f = new Uint8Array(ip + ihl + hdrLen + part.length);
    f.set(head, 0);
    f.set(tcpHead, tcp);
    f.set(part, tcp + hdrLen);
    const len = ihl + hdrLen + part.length;
    f[ip + 2] = len >>> 8;
    f[ip + 3] = len & 0xff;
    f[ip + 4] = ((id + k) >>> 8) & 0xff;
    f[ip + 5] = (id + k) & 0xff;
    new DataView(f.buffer).setUint32(tcp + 4, (seq + k * ETHERNET_MSS) >>> 0);
    // Only the last piece keeps PSH and FIN.
    if (k < pieces - 1) f[tcp + 13] = f[tcp + 13]! & ~0x09;
    fixChecksums(f);
    out.push(f);
  }
  return out;
}

export async function rewriteLoopbackCapture(file: string, o: RewriteOptions): Promise<RewriteResult> {
  const records: OutRecord[] = [];
  const dropped = new Map<string, number>();
  const drop = (why: string): void => void dropped.set(why, (dropped.get(why) ?? 0) + 1);
  const counters = new Counters();
  await readCapture(
    file,
    (f) => {
      const d = f.data;
      if (f.linkType !== 1 || d.length < 34 || d[12] !== 0x08 || d[13] !== 0x00) return drop("not IPv4");
      const src = byLo.get(ipText(d, 26));
      const dst = byLo.get(ipText(d, 30));
      if (!src || !dst) return drop(`${ipText(d, 26)} > ${ipText(d, 30)}`);
      const ts = o.base + (f.ts - o.t0) * o.scale;
      const pieces = rewriteFrame(d, src, dst);
      // Split pieces leave 10 µs apart, as back-to-back segments on a 100 Mbit/s link would.
      pieces.forEach((data, i) => records.push({ ts: ts + i * 1e-5, data }));
    },
    counters,
  );
  return { records, dropped };
}
