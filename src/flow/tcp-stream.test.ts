// TCP reassembly: in-order zero copy, out-of-order, retransmission, overlap (first copy wins), gaps (overflow, ACK past
// a hole, end of flow), mid-stream pickup, sequence wraparound.
import { describe, expect, it } from "vitest";
import { Counters } from "../core/counters.ts";
import type { Dir } from "../core/types.ts";
import { ByteBudget } from "./budget.ts";
import { TcpStream, type StreamOutput } from "./tcp-stream.ts";

class Recorder implements StreamOutput {
  text = "";
  views: Uint8Array[] = [];
  gaps: number[] = [];
  streamData(_dir: Dir, data: Uint8Array): void {
    this.views.push(data);
    this.text += new TextDecoder().decode(data);
  }
  streamGap(_dir: Dir, bytes: number): void {
    this.gaps.push(bytes);
    this.text += `<gap ${bytes}>`;
  }
}

const enc = (s: string) => new TextEncoder().encode(s);

function setup(limits = { maxOooBytes: 1000, maxOooSegments: 4 }) {
  const out = new Recorder();
  const counters = new Counters();
  const s = new TcpStream(0, out, counters, limits);
  return { out, counters, s };
}

describe("TcpStream", () => {
  it("delivers in-order payload as the very same view (zero copy)", () => {
    const { out, s } = setup();
    s.syn(999);
    const a = enc("hello ");
    const b = enc("world");
    s.push(1000, a);
    s.push(1006, b);
    expect(out.text).toBe("hello world");
    expect(out.views[0]).toBe(a);
    expect(out.views[1]).toBe(b);
    expect(s.buffered).toBe(0);
  });

  it("buffers out-of-order segments and delivers them once the hole fills", () => {
    const { out, s, counters } = setup();
    s.syn(0);
    s.push(7, enc("CCC"));
    s.push(4, enc("BBB"));
    expect(out.text).toBe("");
    expect(s.buffered).toBe(6);
    s.push(1, enc("AAA"));
    expect(out.text).toBe("AAABBBCCC");
    expect(s.buffered).toBe(0);
    expect(counters.get("tcp.out-of-order")).toBe(2);
  });

  it("drops retransmissions and counts them", () => {
    const { out, s, counters } = setup();
    s.syn(0);
    s.push(1, enc("abcd"));
    s.push(1, enc("abcd"));
    s.push(3, enc("cd"));
    s.push(5, enc("ef"));
    expect(out.text).toBe("abcdef");
    expect(counters.get("tcp.retransmit")).toBe(2);
  });

  it("keeps the first copy of overlapping bytes, in order and in the out-of-order buffer", () => {
    const { out, s, counters } = setup();
    s.syn(0);
    s.push(1, enc("abcd"));
    s.push(3, enc("XXef")); // bytes 3-4 already delivered: "cd" wins
    expect(out.text).toBe("abcdef");
    // Out of order: "MNOP" at 11 buffered first, then "zzzzQR" at 9 overlaps 11-14 → "MNOP" wins.
    s.push(11, enc("MNOP"));
    s.push(9, enc("zzYYYYQR"));
    s.push(7, enc("gh"));
    expect(out.text).toBe("abcdefghzzMNOPQR");
    expect(counters.get("tcp.overlap")).toBe(2);
  });

  it("declares a gap when the out-of-order buffer overflows", () => {
    const { out, s, counters } = setup({ maxOooBytes: 1000, maxOooSegments: 2 });
    s.syn(0);
    s.push(1, enc("aa"));
    // bytes 3..4 lost for good
    s.push(5, enc("bb"));
    s.push(7, enc("cc"));
    expect(out.text).toBe("aa");
    s.push(9, enc("dd")); // third buffered segment > limit
    expect(out.text).toBe("aa<gap 2>bbccdd");
    expect(counters.get("tcp.ooo.overflow")).toBe(1);
    expect(counters.get("tcp.gap")).toBe(1);
    expect(counters.get("tcp.gap.bytes")).toBe(2);
    expect(s.buffered).toBe(0);
  });

  it("declares a gap when the peer ACKs beyond a hole", () => {
    const { out, s, counters } = setup();
    s.syn(100);
    s.push(101, enc("req1"));
    s.push(109, enc("req3")); // req2 (105..108) missing from the capture
    expect(out.text).toBe("req1");
    s.ackedBy(113); // the server has everything up to req3's end
    expect(out.text).toBe("req1<gap 4>req3");
    expect(counters.get("tcp.ack-past-hole")).toBe(1);
  });

  it("treats a segment beyond a hole the peer already ACKed as a capture loss right away", () => {
    const { out, s } = setup();
    s.syn(100);
    s.push(101, enc("aaaa"));
    s.ackedBy(109); // acknowledges 105..108, which the capture never showed
    s.push(109, enc("cccc"));
    expect(out.text).toBe("aaaa<gap 4>cccc");
  });

  it("flushes buffered data after a gap at end of flow, and reports bytes missing before a FIN", () => {
    const { out, s } = setup();
    s.syn(0);
    s.push(1, enc("ab"));
    s.push(5, enc("ef"));
    s.flush();
    expect(out.text).toBe("ab<gap 2>ef");
    const t = setup();
    t.s.syn(0);
    t.s.push(1, enc("ab"));
    t.s.fin(10, 0); // FIN at seq 10: bytes 3..9 never seen
    t.s.flush();
    expect(t.out.text).toBe("ab<gap 7>");
  });

  it("starts at the first seen sequence number when picked up mid-stream", () => {
    const { out, s, counters } = setup();
    s.push(5_000_000, enc("mid"));
    s.push(5_000_003, enc("dle"));
    s.push(4_999_990, enc("old")); // before the pickup point: a retransmission of what we never saw
    expect(out.text).toBe("middle");
    expect(counters.get("tcp.retransmit")).toBe(1);
  });

  it("handles sequence numbers wrapping around 2^32", () => {
    const { out, s } = setup();
    s.syn(0xfffffffc); // data starts at 0xfffffffd
    s.push(0xfffffffd, enc("abc"));
    s.push(0x00000003, enc("ghi")); // out of order across the wrap
    s.push(0x00000000, enc("def"));
    s.push(0x00000006, enc("jk"));
    expect(out.text).toBe("abcdefghijk");
    expect(s.next).toBe(8);
    s.push(0xfffffffe, enc("bc")); // old bytes from before the wrap
    expect(out.text).toBe("abcdefghijk");
  });

  it("draws out-of-order bytes from the shared budget: drops what does not fit, counts it, releases on delivery", () => {
    const out = new Recorder();
    const counters = new Counters();
    const budget = new ByteBudget(6);
    const a = new TcpStream(0, out, counters, { maxOooBytes: 1000, maxOooSegments: 10 }, budget);
    const b = new TcpStream(1, out, counters, { maxOooBytes: 1000, maxOooSegments: 10 }, budget);
    a.syn(0);
    b.syn(0);
    a.push(3, enc("cccc"));
    b.push(3, enc("dddd")); // only 2 bytes of budget left: dropped
    expect(counters.get("tcp.ooo.budget-exhausted")).toBe(1);
    expect(budget.used).toBe(4);
    a.push(1, enc("ab"));
    expect(budget.used).toBe(0);
    b.push(1, enc("xy"));
    b.flush(); // the dropped segment was never delivered: nothing more to say without a FIN
    expect(out.text).toBe("abccccxy");
  });
});
