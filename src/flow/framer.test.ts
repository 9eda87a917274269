// Framer: several PDUs per segment (zero copy), one PDU across segments, header split across segments, impossible
// lengths (bad-length + resync), detach after N violations, reset after a gap, oversized PDUs skipped.
import { describe, expect, it } from "vitest";
import { concat as cat } from "../../test/fixtures/capture-builder.ts";
import type { Dir } from "../core/types.ts";
import { ByteBudget } from "./budget.ts";
import { Framer, type FramerOutput } from "./framer.ts";
import { toyFraming, toyPdu } from "./fixtures.ts";

class Out implements FramerOutput {
  pdus: Uint8Array[] = [];
  bodies: string[] = [];
  violations: string[] = [];
  detached = 0;
  framedPdu(_d: Dir, pdu: Uint8Array): void {
    this.pdus.push(pdu);
    this.bodies.push(new TextDecoder().decode(pdu.subarray(4)));
  }
  framingViolation(_d: Dir, name: string): void {
    this.violations.push(name);
  }
  framingDetached(): void {
    this.detached++;
  }
}

describe("Framer", () => {
  it("delivers several PDUs of one segment as views of that segment", () => {
    const out = new Out();
    const f = new Framer(toyFraming, 0, out);
    const seg = cat(toyPdu("one"), toyPdu("two"), toyPdu("three"));
    f.push(seg);
    expect(out.bodies).toEqual(["one", "two", "three"]);
    for (const p of out.pdus) expect(p.buffer).toBe(seg.buffer);
    expect(f.pending).toBe(0);
  });

  it("assembles one PDU spread over three segments", () => {
    const out = new Out();
    const f = new Framer(toyFraming, 0, out);
    const pdu = toyPdu("a-rather-long-body-split-in-three");
    f.push(pdu.subarray(0, 10));
    f.push(pdu.subarray(10, 20));
    expect(out.bodies).toEqual([]);
    expect(f.pending).toBe(10 + 10);
    f.push(cat(pdu.subarray(20), toyPdu("next")));
    expect(out.bodies).toEqual(["a-rather-long-body-split-in-three", "next"]);
    expect(f.pending).toBe(0);
  });

  it("joins a header split across segments", () => {
    const out = new Out();
    const f = new Framer(toyFraming, 0, out);
    const s = cat(toyPdu("x"), toyPdu("split"));
    f.push(s.subarray(0, 7)); // "x" PDU (5 bytes) + 2 header bytes
    f.push(s.subarray(7));
    expect(out.bodies).toEqual(["x", "split"]);
  });

  it("reports an impossible length, skips to the next plausible header and goes on", () => {
    const out = new Out();
    const f = new Framer(toyFraming, 0, out);
    const bad = Uint8Array.of(0x54, 0x59, 0xff, 0xff, 1, 2, 3); // claims 65535 > maxPdu 1000
    f.push(cat(toyPdu("ok1"), bad, toyPdu("ok2")));
    expect(out.violations).toEqual(["bad-length"]);
    expect(out.bodies).toEqual(["ok1", "ok2"]);
    expect(f.detached).toBe(false);
  });

  it("resyncs byte by byte through pduLength when the framing has no resync()", () => {
    const out = new Out();
    const { resync: _ignored, ...plain } = toyFraming;
    const f = new Framer(plain, 0, out);
    f.push(cat(Uint8Array.of(0x54, 0x59, 0, 1, 9, 9), toyPdu("after")));
    expect(out.violations).toEqual(["bad-length"]);
    expect(out.bodies).toEqual(["after"]);
  });

  it("detaches after the maximum number of framing violations", () => {
    const out = new Out();
    const f = new Framer(toyFraming, 1, out, false, { maxPduBuffer: 4096, maxFramingViolations: 3 });
    const bad = Uint8Array.of(0x54, 0x59, 0, 2);
    f.push(cat(bad, bad, bad, bad, toyPdu("never")));
    expect(out.violations).toEqual(["bad-length", "bad-length", "bad-length"]);
    expect(out.detached).toBe(1);
    expect(f.detached).toBe(true);
    f.push(toyPdu("ignored"));
    expect(out.bodies).toEqual([]);
  });

  it("drops the partial PDU after a gap and resumes at the next header", () => {
    const out = new Out();
    const f = new Framer(toyFraming, 0, out);
    const pdu = toyPdu("lost-in-the-middle");
    f.push(pdu.subarray(0, 8));
    f.reset();
    // What follows the gap starts inside a PDU: garbage until the next "TY".
    f.push(cat(Uint8Array.of(0x61, 0x62, 0x63), toyPdu("found")));
    expect(out.bodies).toEqual(["found"]);
    expect(out.violations).toEqual([]);
  });

  it("skips a legal PDU larger than the assembly buffer and reports it", () => {
    const out = new Out();
    const f = new Framer(toyFraming, 0, out, false, { maxPduBuffer: 16, maxFramingViolations: 8 });
    const big = toyPdu("0123456789abcdefghij"); // 24 bytes > 16
    f.push(big.subarray(0, 10));
    f.push(cat(big.subarray(10), toyPdu("small")));
    expect(out.violations).toEqual(["pdu-too-large"]);
    expect(out.bodies).toEqual(["small"]);
  });

  it("grows the assembly buffer with the bytes received and returns them to the shared budget", () => {
    const out = new Out();
    const budget = new ByteBudget(1 << 20);
    const big = { ...toyFraming, maxPdu: 100_000 };
    const f = new Framer(big, 0, out, false, { maxPduBuffer: 1 << 20, maxFramingViolations: 8 }, budget);
    const body = "z".repeat(50_000 - 4);
    const pdu = toyPdu(body);
    f.push(pdu.subarray(0, 1000));
    expect(budget.used).toBe(4096); // not the claimed 50,000
    for (let o = 1000; o < pdu.length; o += 1460) f.push(pdu.subarray(o, Math.min(pdu.length, o + 1460)));
    expect(out.bodies).toEqual([body]);
    expect(budget.used).toBe(0);
  });

  it("reports and skips a PDU when the shared assembly budget is spent", () => {
    const out = new Out();
    const budget = new ByteBudget(100);
    const f = new Framer(toyFraming, 0, out, false, undefined, budget);
    const pdu = toyPdu("y".repeat(300));
    f.push(pdu.subarray(0, 50));
    f.push(cat(pdu.subarray(50), toyPdu("fine")));
    expect(out.violations).toEqual(["buffer-exhausted"]);
    expect(out.bodies).toEqual(["fine"]);
    expect(budget.used).toBe(0);
  });
});
