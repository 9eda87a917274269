// DNS wire decoder: annotated messages (header, question, compressed answers), hostile names (pointer loops, forward
// pointers, over-long names, bad label types), truncation at every length and random mutation never throw.
import { describe, expect, it } from "vitest";
import { decodeDnsMessage, decodeName, DNS_MAX_POINTER_HOPS, looksLikeDns } from "./wire.ts";

function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+|#[^\n]*/g, ""), "hex"));
}

// Response to "www.Example.com A" with a CNAME and an A record, both owner names compressed.
const RESPONSE = hex(`
  1a2b          # id
  8180          # QR=1 RD RA, rcode 0
  0001 0002 0000 0000
  03 777777 07 4578616d706c65 03 636f6d 00   # www.Example.com (mixed case on the wire)
  0001 0001     # A IN
  c00c 0005 0001 0000012c 0006 03 636466 c010   # CNAME cdf.example.com (pointer to "example.com" at 16)
  c02d 0001 0001 0000003c 0004 c0000201          # A 192.0.2.1 (owner: pointer to the CNAME target at 45)
`);

describe("decodeDnsMessage", () => {
  it("decodes header, question and compressed answers", () => {
    const m = decodeDnsMessage(RESPONSE);
    expect(m).toMatchObject({ id: 0x1a2b, qr: true, rd: true, ra: true, rcode: 0, qdcount: 1, ancount: 2, issues: [] });
    expect(m.questions).toEqual([{ name: "www.example.com", type: 1, class: 1 }]);
    expect(m.answers).toEqual([
      { name: "www.example.com", type: 5, class: 1, ttl: 300, data: "cdf.example.com" },
      { name: "cdf.example.com", type: 1, class: 1, ttl: 60, data: "192.0.2.1" },
    ]);
  });

  it("flags truncation at every cut instead of throwing, and keeps what it decoded", () => {
    for (let n = 0; n < RESPONSE.length; n++) {
      const m = decodeDnsMessage(RESPONSE.subarray(0, n));
      expect(m.issues.length).toBeGreaterThan(0);
    }
    expect(decodeDnsMessage(RESPONSE.subarray(0, 40)).questions[0]?.name).toBe("www.example.com");
  });

  it("stops pointer loops, forward self-references and over-long names", () => {
    const loop = hex("0001 0100 0001 0000 0000 0000 c00c 0001 0001");
    expect(decodeName(loop, 12).issue).toBe("pointer-loop");
    expect(decodeDnsMessage(loop).issues).toContain("pointer-loop");
    // Two pointers pointing at each other.
    const pingPong = hex("0001 0100 0001 0000 0000 0000 01 61 c010 c00c 0001 0001");
    expect(decodeName(pingPong, 12).issue).toBe("pointer-loop");
    expect(DNS_MAX_POINTER_HOPS).toBeLessThan(100);
    const long = new Uint8Array([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...Array.from({ length: 5 }, () => [63, ...new Array<number>(63).fill(0x61)]).flat(), 0, 0, 1, 0, 1]);
    expect(decodeDnsMessage(long).issues).toContain("name-too-long");
    const badLabel = hex("0001 0100 0001 0000 0000 0000 41 0001 0001");
    expect(decodeDnsMessage(badLabel).issues).toContain("bad-name");
  });

  it("escapes non-printable label bytes like dig", () => {
    const m = decodeDnsMessage(hex("0001 0100 0001 0000 0000 0000 03 61002e 03 636f6d 00 0010 0001"));
    expect(m.questions[0]?.name).toBe("a\\000\\046.com");
  });

  it("never throws on random mutations of a valid message", () => {
    let seed = 42;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 5000; i++) {
      const m = Uint8Array.from(RESPONSE);
      for (let k = 0; k < 1 + Math.floor(rnd() * 6); k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      expect(() => decodeDnsMessage(m.subarray(0, Math.floor(rnd() * (m.length + 1))))).not.toThrow();
    }
  });
});

describe("looksLikeDns", () => {
  it("accepts a query and rejects other protocols' first bytes", () => {
    expect(looksLikeDns(hex("abcd 0100 0001 0000 0000 0000 03 777777 07 6578616d706c65 03 636f6d 00 0001 0001"))).toBe(true);
    expect(looksLikeDns(Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))).toBe(false);
    expect(looksLikeDns(hex("0001 0000 0006 0103 0000 000a 0000 0000 0000 0000"))).toBe(false);
  });
});
