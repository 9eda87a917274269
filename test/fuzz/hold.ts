// Memory held on purpose: many flows each sending the first part of the largest message the protocol lets them
// assemble, never the end. Random mutation rarely builds such flows, so this is its own scenario. Measures JS heap +
// ArrayBuffers after a GC while everything is still held, against a pipeline-wide bound (the appliance must stay under
// 1 GB whatever the traffic). Today: OPC UA chunk assembly (Part 6 §6.7.2, intermediate 'C' chunks of one request).
import { Counters } from "../../src/core/counters.ts";
import type { Dissector } from "../../src/core/types.ts";
import { TCP_ACK, TCP_PSH } from "../../src/core/types.ts";
import { Pipeline } from "../../src/pipeline.ts";
import { FrameWriter } from "./frames.ts";
import { usedMemory } from "./harness.ts";

/** What all flows together may hold in partial messages (the framer's own pipeline-wide budget is 128 MiB). */
export const MAX_HELD_BYTES = 192 * 1024 * 1024;

export interface HoldResult {
  name: string;
  flows: number;
  bytesSent: number;
  heldBytes: number;
  counters: Record<string, number>;
}

const SEGMENT = 1448;

/**
 * `flows` TCP flows to `port`, each sending `perFlow` bytes made of the messages `chunk(i)` returns; the memory held is
 * measured (after a GC) before the flows end.
 */
export function runHold(name: string, dissectors: readonly Dissector[], port: number, flows: number, perFlow: number,
  chunk: (i: number) => Uint8Array, gc: () => void): HoldResult {
  const counters = new Counters();
  const pipeline = new Pipeline({ dissectors, onEvent: () => {}, counters });
  const w = new FrameWriter();
  gc();
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
  gc();
  const held = usedMemory() - before;
  pipeline.finish();
  return { name, flows, bytesSent: sent, heldBytes: held, counters: counters.snapshot() };
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
