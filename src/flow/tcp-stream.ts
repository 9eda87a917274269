// TCP reassembly for one direction of a flow (issue 2 item 3). In-order data is handed on as the packet's own view (zero
// copy); only out-of-order segments are copied, into a bounded buffer. Retransmitted and overlapping bytes: the first copy
// wins. Missing bytes become a gap (buffer overflow, the peer ACKing past a hole, or the end of the flow), so the framer
// and the session can resynchronise. Sequence numbers are compared modulo 2^32 (RFC 793 §3.3, RFC 1982 arithmetic).

import type { Counters } from "../core/counters.ts";
import type { Dir } from "../core/types.ts";
import { type ByteBudget, unlimitedBudget } from "./budget.ts";

/** Out-of-order bytes buffered per direction before the oldest hole is declared a gap. */
export const MAX_OOO_BYTES = 256 * 1024;
/** Out-of-order segments buffered per direction before the oldest hole is declared a gap. */
export const MAX_OOO_SEGMENTS = 256;

export interface StreamLimits {
  maxOooBytes: number;
  maxOooSegments: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxOooBytes: MAX_OOO_BYTES, maxOooSegments: MAX_OOO_SEGMENTS };

/** Receives the reassembled byte stream. `data` is valid only during the call. */
export interface StreamOutput {
  streamData(dir: Dir, data: Uint8Array): void;
  streamGap(dir: Dir, bytes: number): void;
}

interface Segment {
  seq: number;
  data: Uint8Array;
}

/** Signed distance a − b in sequence space. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export class TcpStream {
  /** Next expected sequence number (uint32). */
  next = 0;
  private started = false;
  private readonly ooo: Segment[] = [];
  private oooBytes = 0;
  private peerAck = 0;
  private peerAckValid = false;
  private finSeq = 0;
  private finSeen = false;

  constructor(
    readonly dir: Dir,
    private readonly out: StreamOutput,
    private readonly counters: Counters,
    private readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS,
    /** Out-of-order bytes of all streams of the pipeline. */
    private readonly budget: ByteBudget = unlimitedBudget(),
  ) {}

  /** Buffered out-of-order bytes (for tests and memory accounting). */
  get buffered(): number {
    return this.oooBytes;
  }

  /** A SYN from this side: data starts at isn + 1. */
  syn(isn: number): void {
    if (this.started) return;
    this.started = true;
    this.next = (isn + 1) >>> 0;
  }

  /** A FIN from this side after `len` payload bytes at `seq`. */
  fin(seq: number, len: number): void {
    if (!this.started) {
      this.started = true;
      this.next = (seq + len) >>> 0;
    }
    this.finSeen = true;
    this.finSeq = (seq + len) >>> 0;
  }

  /** Payload of a segment from this side. */
  push(seq: number, data: Uint8Array): void {
    const len = data.length;
    if (len === 0) return;
    if (!this.started) {
      // Picked up mid-stream: the stream starts at the first byte seen.
      this.started = true;
      this.next = seq >>> 0;
    }
    const rel = seqDiff(seq, this.next);
    if (rel === 0 && this.ooo.length === 0) {
      this.next = (this.next + len) >>> 0;
      this.out.streamData(this.dir, data);
      return;
    }
    if (rel <= 0) {
      if (rel + len <= 0) {
        this.counters.add("tcp.retransmit");
        return;
      }
      if (rel < 0) this.counters.add("tcp.overlap");
      this.deliver(data.subarray(-rel));
      this.drain();
      return;
    }
    // Beyond a hole. If the peer already acknowledged bytes past the hole, they were lost by the capture, not the network.
    if (this.peerAckValid && seqDiff(this.peerAck, seq) >= 0) {
      this.gap(rel);
      this.deliver(data);
      this.drain();
      return;
    }
    this.counters.add("tcp.out-of-order");
    this.insert(seq, data);
    while (this.ooo.length > 0 && (this.oooBytes > this.limits.maxOooBytes || this.ooo.length > this.limits.maxOooSegments)) {
      this.counters.add("tcp.ooo.overflow");
      this.skipToBuffered();
    }
  }

  /** An ACK from the other side. Acknowledging data beyond a hole we still wait for means the capture missed it. */
  ackedBy(ack: number): void {
    this.peerAck = ack;
    this.peerAckValid = true;
    const first = this.ooo[0];
    if (first !== undefined && seqDiff(ack, first.seq) >= 0) {
      this.counters.add("tcp.ack-past-hole");
      this.skipToBuffered();
    }
  }

  /** End of flow: whatever is still missing is a gap; buffered data after it is delivered. */
  flush(): void {
    while (this.ooo.length > 0) this.skipToBuffered();
    if (this.finSeen && this.started && seqDiff(this.finSeq, this.next) > 0) this.gap(seqDiff(this.finSeq, this.next));
  }

  /** Drops buffered segments without delivering them (the flow ends with no one to read them). */
  discard(): void {
    this.budget.release(this.oooBytes);
    this.ooo.length = 0;
    this.oooBytes = 0;
  }

  /** Declares the hole before the first buffered segment a gap and delivers what follows it. */
  private skipToBuffered(): void {
    const first = this.ooo[0];
    if (first === undefined) return;
    const hole = seqDiff(first.seq, this.next);
    if (hole > 0) this.gap(hole);
    this.drain();
  }

  private gap(bytes: number): void {
    this.next = (this.next + bytes) >>> 0;
    this.counters.add("tcp.gap");
    this.counters.add("tcp.gap.bytes", bytes);
    this.out.streamGap(this.dir, bytes);
  }

  private deliver(data: Uint8Array): void {
    this.next = (this.next + data.length) >>> 0;
    this.out.streamData(this.dir, data);
  }

  /** Delivers buffered segments that have become contiguous. */
  private drain(): void {
    const ooo = this.ooo;
    while (ooo.length > 0) {
      const seg = ooo[0] as Segment;
      const rel = seqDiff(seg.seq, this.next);
      if (rel > 0) return;
      ooo.shift();
      this.oooBytes -= seg.data.length;
      this.budget.release(seg.data.length);
      if (rel + seg.data.length > 0) this.deliver(seg.data.subarray(-rel));
    }
  }

  /** Buffers a copy of the parts of [seq, seq+len) not already buffered (first copy wins); keeps segments sorted. */
  private insert(seq: number, data: Uint8Array): void {
    const ooo = this.ooo;
    const base = this.next;
    let r = seqDiff(seq, base);
    let d = data;
    let i = 0;
    let covered = 0;
    while (d.length > 0) {
      while (i < ooo.length) {
        const s = ooo[i] as Segment;
        if (seqDiff(s.seq, base) + s.data.length > r) break;
        i++;
      }
      const s = ooo[i];
      if (s === undefined) {
        this.add(i, (base + r) >>> 0, d);
        break;
      }
      const sr = seqDiff(s.seq, base);
      if (sr > r) {
        const take = Math.min(d.length, sr - r);
        if (this.add(i, (base + r) >>> 0, d.subarray(0, take))) i++;
        r += take;
        d = d.subarray(take);
      } else {
        const skip = Math.min(d.length, sr + s.data.length - r);
        covered += skip;
        r += skip;
        d = d.subarray(skip);
      }
    }
    if (covered === data.length) this.counters.add("tcp.retransmit");
    else if (covered > 0) this.counters.add("tcp.overlap");
  }

  /** Buffers a copy (the segment outlives its frame); false when the pipeline-wide budget is spent (segment dropped,
   * the hole it leaves becomes a gap later). */
  private add(at: number, seq: number, data: Uint8Array): boolean {
    if (!this.budget.take(data.length)) {
      this.counters.add("tcp.ooo.budget-exhausted");
      return false;
    }
    this.ooo.splice(at, 0, { seq, data: new Uint8Array(data) });
    this.oooBytes += data.length;
    return true;
  }
}
