// Memory held on purpose: many flows each sending the first part of the largest message the protocol lets them
// assemble, never the end. Random mutation rarely builds such flows, so this is its own scenario. Measures JS heap +
// ArrayBuffers after a GC while everything is still held, against a pipeline-wide bound (the appliance must stay under
// 1 GB whatever the traffic), beside what the sessions reserved from the session budget (MAX_TOTAL_SESSION_BYTES) —
// held/reserved near or below 1 means the sessions' estimates cover what they keep, so the budget bounds the total:
// OPC UA chunk assembly (Part 6 §6.7.2, intermediate 'C' chunks of one request), Modbus and DNS pending requests, an
// HTTP head that never ends, a TLS hello spread over records.
import { Counters } from "../../src/core/counters.ts";
import type { Dissector } from "../../src/core/types.ts";
import { TCP_ACK, TCP_PSH } from "../../src/core/types.ts";
import { MAX_TOTAL_SESSION_BYTES } from "../../src/flow/budget.ts";
import { Pipeline, type PipelineLimits } from "../../src/pipeline.ts";
import { dnsTcpDissector } from "../../protocols/dns/index.ts";
import { httpDissector } from "../../protocols/http/index.ts";
import { adu } from "../../protocols/modbus/fixtures.ts";
import { modbusDissector } from "../../protocols/modbus/index.ts";
import { opcuaDissector } from "../../protocols/opcua/index.ts";
import { tlsDissector } from "../../protocols/tls/index.ts";
import { concat, u16 } from "../fixtures/capture-builder.ts";
import { FrameWriter } from "./frames.ts";
import { usedMemory } from "./harness.ts";

/** What all flows together may hold: the session budget plus the framer's transient PDUs and per-flow state. */
export const MAX_HELD_BYTES = MAX_TOTAL_SESSION_BYTES + 64 * 1024 * 1024;
/** Memory held per byte reserved above which a session's estimate is too low for the budget to bound it. */
export const MAX_HELD_PER_RESERVED = 1.5;

export interface HoldResult {
  name: string;
  flows: number;
  bytesSent: number;
  heldBytes: number;
  /** Bytes the sessions had reserved from the session budget at the measurement, and after every flow ended (0). */
  reservedBytes: number;
  reservedAfterEnd: number;
  counters: Record<string, number>;
}

const SEGMENT = 1448;

/**
 * `flows` TCP flows to `port`, each sending `perFlow` bytes made of the messages `chunk(i)` returns; the memory held is
 * measured (after a GC) before the flows end.
 */
export function runHold(name: string, dissectors: readonly Dissector[], port: number, flows: number, perFlow: number,
  chunk: (i: number) => Uint8Array, gc: () => void, limits?: Partial<PipelineLimits>): HoldResult {
  const counters = new Counters();
  const pipeline = new Pipeline({ dissectors, onEvent: () => {}, counters, limits });
  const w = new FrameWriter();
  settle(gc);
  const before = usedMemory();
  let index = 0;
  let sent = 0;
  for (let f = 0; f < flows; f++) {
    const client = { ip: (10 << 24) | (7 << 16) | f, port: 40_000 + f };
    const server = { ip: (10 << 24) | (2 << 16) | 1, port };
    let seq = 1;
    for (let i = 0, n = 0; n < perFlow; i++) {
      const msg = chunk(i);
      for (let o = 0; o < msg.length; o += SEGMENT) {
        const fr = w.tcp(client, server, seq, 1, TCP_PSH | TCP_ACK, msg.subarray(o, Math.min(msg.length, o + SEGMENT)));
        fr.index = ++index;
        fr.ts = 1_700_000_000 + index * 1e-5;
        pipeline.handleFrame(fr);
        seq = (seq + fr.data.length - 54) >>> 0;
      }
      n += msg.length;
      sent += msg.length;
    }
  }
  settle(gc);
  const held = usedMemory() - before;
  const reserved = pipeline.sessionBytes;
  pipeline.finish();
  return {
    name, flows, bytesSent: sent, heldBytes: held, reservedBytes: reserved, reservedAfterEnd: pipeline.sessionBytes,
    counters: counters.snapshot(),
  };
}

/** ArrayBuffer backing stores are released a little after the GC that found them dead: collect until memory is stable. */
function settle(gc: () => void): void {
  let last = Infinity;
  for (let i = 0; i < 10; i++) {
    gc();
    const m = usedMemory();
    if (Math.abs(last - m) < 1024 * 1024) return;
    last = m;
  }
}

/** Intermediate MSG chunks ('C') of one request id, `size` bytes each, never followed by the final chunk. */
export function opcuaIntermediateChunk(size: number): (i: number) => Uint8Array {
  return (i) => {
    const b = new Uint8Array(size);
    const v = new DataView(b.buffer);
    b.set([0x4d, 0x53, 0x47, 0x43]);
    v.setUint32(4, size, true);
    v.setUint32(8, 1, true);
    v.setUint32(12, 1, true);
    v.setUint32(16, i + 1, true);
    v.setUint32(20, 7, true);
    return b;
  };
}

export interface HoldScenario {
  name: string;
  dissectors: readonly Dissector[];
  port: number;
  flows: number;
  perFlow: number;
  chunk: (i: number) => Uint8Array;
}

/** Read holding registers requests with distinct transaction ids, never answered. */
function modbusRequest(i: number): Uint8Array {
  return adu(i & 0xffff, 1, "03 0000 007d");
}

/** DNS-over-TCP queries with distinct ids, never answered. */
function dnsQuery(i: number): Uint8Array {
  const q = concat(u16(i & 0xffff), u16(0x0100), u16(1), u16(0), u16(0), u16(0),
    Uint8Array.of(9), new TextEncoder().encode("historian"), Uint8Array.of(5), new TextEncoder().encode("plant"), Uint8Array.of(0),
    u16(1), u16(1));
  return concat(u16(q.length), q);
}

/** An HTTP request head that goes on and on (header lines, no blank line). */
function httpHead(i: number): Uint8Array {
  return new TextEncoder().encode(i === 0 ? "GET / HTTP/1.1\r\nHost: hmi.example\r\n" : `X-Pad-${i}: ${"a".repeat(200)}\r\n`);
}

/** A ClientHello of 65,000 bytes announced in the first record, sent as records of 16 KiB that never complete it. */
function tlsHelloPart(i: number): Uint8Array {
  const body = new Uint8Array(16_000);
  if (i === 0) body.set([1, 0x00, 0xfd, 0xe8]);
  return concat(Uint8Array.of(0x16, 3, 1), u16(body.length), body);
}

export function holdScenarios(): HoldScenario[] {
  return [
    { name: "modbus pending requests", dissectors: [modbusDissector], port: 502, flows: 200, perFlow: 600 * 12, chunk: modbusRequest },
    { name: "dns-tcp pending queries", dissectors: [dnsTcpDissector], port: 53, flows: 200, perFlow: 300 * 35, chunk: dnsQuery },
    { name: "http endless head", dissectors: [httpDissector], port: 80, flows: 200, perFlow: 15_000, chunk: httpHead },
    { name: "tls hello over records", dissectors: [tlsDissector], port: 443, flows: 200, perFlow: 60_000, chunk: tlsHelloPart },
    { name: "opcua C-chunk assembly", dissectors: [opcuaDissector], port: 4840, flows: 24, perFlow: 15.5 * 1024 * 1024, chunk: opcuaIntermediateChunk(60_000) },
  ];
}
