// Builds big benchmark captures from short real ones: every source frame is copied N times, each copy shifted in time
// (copies follow one another) and given distinct client ports, so the copies are distinct TCP flows rather than
// retransmissions of one flow. Like `tcprewrite --portmap` + `editcap -t` + `mergecap -a`, in one pass with our reader.
// Handles what the sources use: Ethernet (with 802.1Q tags) and BSD null/loopback link layers, IPv4 and IPv6 (no extension
// headers) carrying TCP or UDP. Checksums are left as they are (neither tshark nor otwatch validates them by default).
import { readFileSync } from "node:fs";
import { Counters } from "../../src/core/counters.ts";
import { CaptureReader } from "../../src/capture/reader.ts";
import { PcapWriter } from "./pcap-writer.ts";

interface SourceFrame {
  ts: number;
  data: Uint8Array;
  /** Offsets of the source and destination ports to rewrite (-1: leave). */
  sportOff: number;
  dportOff: number;
  /** Port-map key of each rewritten port. */
  sKey: number;
  dKey: number;
}

export interface ReplicateSpec {
  sources: readonly string[];
  /** Ports that stay as they are (the servers'); the other side of each flow gets a per-copy port. */
  serverPorts: readonly number[];
  minPackets: number;
  out: string;
  /** Gap between two copies, seconds of packet time. */
  copyGapS?: number;
}

export interface ReplicateResult {
  packets: number;
  copies: number;
  linkType: number;
  spanS: number;
}

/** Offset of the TCP/UDP header in a frame, or -1 when the frame is not Ethernet/null + IPv4/IPv6 + TCP/UDP. */
function transportOffset(d: Uint8Array, linkType: number): number {
  let off: number;
  let version: number;
  if (linkType === 1) {
    off = 12;
    let type = ((d[off] ?? 0) << 8) | (d[off + 1] ?? 0);
    while (type === 0x8100 || type === 0x88a8) {
      off += 4;
      type = ((d[off] ?? 0) << 8) | (d[off + 1] ?? 0);
    }
    off += 2;
    if (type !== 0x0800 && type !== 0x86dd) return -1;
  } else if (linkType === 0) {
    off = 4;
  } else {
    return -1;
  }
  version = (d[off] ?? 0) >> 4;
  let proto: number;
  if (version === 4) {
    proto = d[off + 9] ?? 0;
    if ((((d[off + 6] ?? 0) & 0x1f) | (d[off + 7] ?? 0)) !== 0) return -1;
    off += ((d[off] ?? 0) & 0x0f) * 4;
  } else if (version === 6) {
    proto = d[off + 6] ?? 0;
    off += 40;
  } else {
    return -1;
  }
  if (proto !== 6 && proto !== 17) return -1;
  return off + 4 <= d.length ? off : -1;
}

function loadFrames(path: string, counters: Counters): { linkType: number; frames: { ts: number; data: Uint8Array }[] } {
  const frames: { ts: number; data: Uint8Array }[] = [];
  let linkType = -1;
  const reader = new CaptureReader((f) => {
    if (linkType === -1) linkType = f.linkType;
    if (f.linkType !== linkType) throw new Error(`${path}: mixed link types`);
    frames.push({ ts: f.ts, data: f.data.slice() });
  }, counters);
  reader.push(new Uint8Array(readFileSync(path)));
  reader.end();
  return { linkType, frames };
}

/** Writes `spec.out` and returns what it holds. All sources must share one link type. */
export function replicateCapture(spec: ReplicateSpec): ReplicateResult {
  const counters = new Counters();
  const keys = new Map<string, number>();
  const key = (src: number, port: number): number => {
    const k = `${src}:${port}`;
    let v = keys.get(k);
    if (v === undefined) keys.set(k, (v = keys.size));
    return v;
  };
  const frames: SourceFrame[] = [];
  let linkType = -1;
  let t = 0;
  spec.sources.forEach((path, si) => {
    const src = loadFrames(path, counters);
    if (linkType === -1) linkType = src.linkType;
    if (src.linkType !== linkType) throw new Error(`${path}: link type ${src.linkType}, expected ${linkType}`);
    const first = src.frames[0]?.ts ?? 0;
    let last = first;
    for (const f of src.frames) {
      const off = transportOffset(f.data, linkType);
      const sf: SourceFrame = { ts: t + (f.ts - first), data: f.data, sportOff: -1, dportOff: -1, sKey: 0, dKey: 0 };
      if (off >= 0) {
        const sport = ((f.data[off] ?? 0) << 8) | (f.data[off + 1] ?? 0);
        const dport = ((f.data[off + 2] ?? 0) << 8) | (f.data[off + 3] ?? 0);
        if (!spec.serverPorts.includes(sport)) [sf.sportOff, sf.sKey] = [off, key(si, sport)];
        if (!spec.serverPorts.includes(dport)) [sf.dportOff, sf.dKey] = [off + 2, key(si, dport)];
      }
      frames.push(sf);
      if (f.ts > last) last = f.ts;
    }
    t += last - first + 1;
  });
  if (frames.length === 0) throw new Error("no source frames");
  const span = t + (spec.copyGapS ?? 1);
  const copies = Math.ceil(spec.minPackets / frames.length);
  const nKeys = Math.max(1, keys.size);
  if (copies * nKeys > 60_000) throw new Error(`too many copies (${copies}) for distinct client ports`);
  const w = new PcapWriter(spec.out, linkType);
  const base = 1_700_000_000;
  const scratch = new Uint8Array(262_144);
  for (let c = 0; c < copies; c++) {
    for (const f of frames) {
      const d = scratch.subarray(0, f.data.length);
      d.set(f.data);
      if (f.sportOff >= 0) writePort(d, f.sportOff, 1024 + ((c * nKeys + f.sKey) % 60_000));
      if (f.dportOff >= 0) writePort(d, f.dportOff, 1024 + ((c * nKeys + f.dKey) % 60_000));
      w.write(base + c * span + f.ts, d);
    }
  }
  w.close();
  return { packets: w.records, copies, linkType, spanS: copies * span };
}

function writePort(d: Uint8Array, off: number, port: number): void {
  d[off] = port >> 8;
  d[off + 1] = port & 0xff;
}
