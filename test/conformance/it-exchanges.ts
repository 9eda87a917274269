// Test helper for the IT-protocol conformance suite: records real DNS/HTTP/TLS exchanges between Node's own clients and
// servers on loopback (127.x addresses only), lays them out as TCP/UDP conversations in a pcap (plant-like addresses
// only inside the file), and replays payloads through a dissector with the same framing contract the core uses.

import { execFileSync } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { createServer, connect, type Server, type Socket } from "node:net";
import { readCapture } from "../../src/capture/source.ts";
import { Counters } from "../../src/core/counters.ts";
import type { Dir, Dissector, EventBase, FlowInfo, SessionContext } from "../../src/core/types.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { concat, ethIpv4Tcp, ethIpv4Udp, writePcap, type CaptureRecord } from "../fixtures/capture-builder.ts";

export interface Chunk {
  dir: Dir;
  data: Uint8Array;
}

export interface Conversation {
  transport: "tcp" | "udp";
  client: string;
  server: string;
  sport: number;
  dport: number;
  chunks: Chunk[];
  /** Packet time of the first packet (default: right after the previous conversation). */
  ts?: number;
  /** Seconds between the conversation's packets (default 0.001). */
  gap?: number;
  /** TCP opening: full handshake (default), refused (SYN, RST-ACK) or unanswered (SYN only); the last two carry no data. */
  open?: "full" | "rejected" | "unanswered";
}

/** Runs `exchange` against a TCP proxy in front of `target` and returns the bytes seen in each direction, in order. */
export async function recordTcp(target: Server, exchange: (port: number) => Promise<void>): Promise<Chunk[]> {
  const targetPort = (target.address() as { port: number }).port;
  const chunks: Chunk[] = [];
  const proxy = createServer((down: Socket) => {
    const up = connect(targetPort, "127.0.0.1");
    down.on("data", (d: Buffer) => {
      chunks.push({ dir: 0, data: Uint8Array.from(d) });
      up.write(d);
    });
    up.on("data", (d: Buffer) => {
      chunks.push({ dir: 1, data: Uint8Array.from(d) });
      down.write(d);
    });
    down.on("end", () => up.end());
    up.on("end", () => down.end());
    down.on("error", () => up.destroy());
    up.on("error", () => down.destroy());
  });
  proxy.listen(0, "127.0.0.1");
  await once(proxy, "listening");
  try {
    await exchange((proxy.address() as { port: number }).port);
  } finally {
    proxy.close();
  }
  return chunks;
}

/** A UDP server on 127.0.0.1 that answers each datagram with `answer(query)`; returns the recorded datagrams. */
export async function recordUdp(answer: (q: Uint8Array) => Uint8Array, exchange: (port: number) => Promise<void>): Promise<Chunk[]> {
  const chunks: Chunk[] = [];
  const sock = createSocket("udp4");
  sock.on("message", (msg, rinfo) => {
    chunks.push({ dir: 0, data: Uint8Array.from(msg) });
    const res = answer(Uint8Array.from(msg));
    chunks.push({ dir: 1, data: res });
    sock.send(res, rinfo.port, rinfo.address);
  });
  sock.bind(0, "127.0.0.1");
  await once(sock, "listening");
  try {
    await exchange(sock.address().port);
  } finally {
    sock.close();
  }
  return chunks;
}

/** Frames for the conversations, one after the other; TCP gets a handshake, MSS-sized segments and a FIN exchange. */
export function buildCapture(convs: Conversation[], t0 = 1_750_000_000): CaptureRecord[] {
  const out: CaptureRecord[] = [];
  let ts = t0;
  let step = 0.001;
  const push = (data: Uint8Array): void => {
    out.push({ data, ts });
    ts += step;
  };
  for (const c of convs) {
    if (c.ts !== undefined) ts = c.ts;
    step = c.gap ?? 0.001;
    const ends = [
      { src: c.client, dst: c.server, sport: c.sport, dport: c.dport },
      { src: c.server, dst: c.client, sport: c.dport, dport: c.sport },
    ] as const;
    if (c.transport === "udp") {
      for (const ch of c.chunks) push(ethIpv4Udp({ ...ends[ch.dir], payload: ch.data }));
      continue;
    }
    const seq = [1000, 5000];
    push(ethIpv4Tcp({ ...ends[0], flags: 0x02, seq: seq[0]! - 1 }));
    if (c.open === "rejected") push(ethIpv4Tcp({ ...ends[1], flags: 0x14, seq: 0, ack: seq[0]! }));
    if (c.open === "rejected" || c.open === "unanswered") continue;
    push(ethIpv4Tcp({ ...ends[1], flags: 0x12, seq: seq[1]! - 1, ack: seq[0]! }));
    push(ethIpv4Tcp({ ...ends[0], flags: 0x10, seq: seq[0]!, ack: seq[1]! }));
    for (const ch of c.chunks) {
      for (let o = 0; o < ch.data.length; o += 1460) {
        const payload = ch.data.subarray(o, o + 1460);
        push(ethIpv4Tcp({ ...ends[ch.dir], flags: 0x18, seq: seq[ch.dir]!, ack: seq[1 - ch.dir]!, payload }));
        seq[ch.dir]! += payload.length;
      }
    }
    push(ethIpv4Tcp({ ...ends[0], flags: 0x11, seq: seq[0]!, ack: seq[1]! }));
    push(ethIpv4Tcp({ ...ends[1], flags: 0x11, seq: seq[1]!, ack: seq[0]! + 1 }));
    push(ethIpv4Tcp({ ...ends[0], flags: 0x10, seq: seq[0]! + 1, ack: seq[1]! + 1 }));
  }
  // Conversations given their own start times interleave: order the capture by time (stable for equal times).
  return out.map((r, i) => ({ r, i })).sort((a, b) => a.r.ts! - b.r.ts! || a.i - b.i).map((x) => x.r);
}

export function pcapBytes(convs: Conversation[]): Uint8Array {
  return writePcap(buildCapture(convs));
}

/** tshark -T fields on a pcap file: one row per frame that has at least one of the fields. */
export function tsharkFields(pcap: string, filter: string, fields: string[], extra: string[] = []): Record<string, string>[] {
  const args = ["-r", pcap, "-Y", filter, "-T", "fields", "-E", "separator=\t", "-E", "occurrence=a", "-E", "aggregator=|", ...extra];
  for (const f of fields) args.push("-e", f);
  const text = execFileSync("tshark", args, { encoding: "utf8" });
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const cells = l.split("\t");
      const row: Record<string, string> = {};
      fields.forEach((f, i) => (row[f] = cells[i] ?? ""));
      return row;
    });
}

/**
 * Feeds a conversation's payloads through a dissector the way the core does: datagrams as they are for UDP; for TCP,
 * the declared framing splits each direction's byte stream into PDUs (or, without framing, chunks pass through).
 */
export function replay(d: Dissector, c: Conversation, flowId = "F1"): { events: EventBase[]; weird: string[] } {
  const flow: FlowInfo = {
    id: flowId, transport: c.transport, client: c.client, clientPort: c.sport, server: c.server, serverPort: c.dport,
    clientMac: undefined, serverMac: undefined, vlan: -1, startTs: 1_750_000_000,
  };
  const events: EventBase[] = [];
  const weird: string[] = [];
  let ts = 1_750_000_000;
  let frame = 1;
  const ctx: SessionContext = {
    flow,
    get frame() {
      return frame;
    },
    get ts() {
      return ts;
    },
    emit: (e) => events.push(e),
    count: () => undefined,
    weird: (name) => weird.push(name),
    reserve: () => true,
    release: () => undefined,
  };
  const s = d.createSession(flow);
  const buf: [Uint8Array, Uint8Array] = [new Uint8Array(0), new Uint8Array(0)];
  for (const ch of c.chunks) {
    ts += 0.001;
    frame++;
    if (c.transport === "udp" || d.framing === undefined) {
      s.onPdu(ch.dir, ch.data, ctx);
      continue;
    }
    let b = concat(buf[ch.dir], ch.data);
    for (;;) {
      if (b.length < d.framing.headerLen) break;
      const len = d.framing.pduLength(b.subarray(0, d.framing.headerLen));
      if (len < 0) throw new Error(`framing rejected a header in dir ${ch.dir}`);
      if (b.length < len) break;
      s.onPdu(ch.dir, b.subarray(0, len), ctx);
      b = b.subarray(len);
    }
    buf[ch.dir] = Uint8Array.from(b);
  }
  s.onEnd(ctx);
  return { events, weird };
}

/** Runs a capture file through the real pipeline with the given dissectors; returns its events and counters. */
export async function pipelineEvents(pcap: string, dissectors: readonly Dissector[]): Promise<{ events: EventBase[]; counters: Counters }> {
  const events: EventBase[] = [];
  const counters = new Counters();
  const p = new Pipeline({ dissectors, onEvent: (e) => events.push(e), counters });
  await readCapture(pcap, (f) => p.handleFrame(f), counters);
  p.finish();
  return { events, counters };
}
