// CaptureReader on synthetic pcap/pcapng (every byte order, resolution and block type), chunk boundaries, truncation and
// garbage; then frame counts on every shared capture against capinfos.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { Counters } from "../core/counters.ts";
import type { Frame } from "../core/types.ts";
import { CaptureReader, cloneFrame } from "./reader.ts";
import { readCapture } from "./source.ts";
import { type CaptureRecord, concat, ethIpv4Tcp, ethIpv4Udp, writePcap, writePcapng } from "../../test/fixtures/capture-builder.ts";
import { listRefCaptures, summaryPacketCount } from "../../test/helpers/tshark-ref.ts";

function records(n: number): CaptureRecord[] {
  return Array.from({ length: n }, (_, i) => ({
    data: ethIpv4Tcp({ src: "10.0.0.1", dst: "10.0.0.2", sport: 1000 + i, dport: 502, payload: new Uint8Array(i * 7) }),
    ts: 1_600_000_000 + i * 1.25 + 0.000123,
    origLen: 60 + i * 7 + 200,
  }));
}

function readAll(bytes: Uint8Array, chunks?: number[]): { frames: Frame[]; counters: Counters; reader: CaptureReader } {
  const frames: Frame[] = [];
  const counters = new Counters();
  const reader = new CaptureReader((f) => frames.push(cloneFrame(f)), counters);
  if (!chunks) reader.push(bytes);
  else {
    let off = 0;
    for (const n of chunks) {
      reader.push(bytes.subarray(off, off + n));
      off += n;
    }
    reader.push(bytes.subarray(off));
  }
  reader.end();
  return { frames, counters, reader };
}

function expectFrames(frames: Frame[], recs: CaptureRecord[], linkType = 1): void {
  expect(frames.length).toBe(recs.length);
  frames.forEach((f, i) => {
    const r = recs[i]!;
    expect(f.index).toBe(i + 1);
    expect(f.linkType).toBe(linkType);
    expect(Math.round(f.ts * 1e6)).toBe(Math.round((r.ts ?? 0) * 1e6));
    expect(f.origLen).toBe(r.origLen);
    expect(Buffer.from(f.data).equals(Buffer.from(r.data))).toBe(true);
  });
}

describe("classic pcap", () => {
  for (const bigEndian of [false, true]) {
    for (const nanos of [false, true]) {
      it(`${bigEndian ? "big" : "little"}-endian, ${nanos ? "ns" : "µs"}`, () => {
        const recs = records(5);
        const { frames, counters, reader } = readAll(writePcap(recs, { bigEndian, nanos, linkType: 1 }));
        expect(reader.format).toBe("pcap");
        expectFrames(frames, recs);
        expect(counters.snapshot()).toEqual({});
      });
    }
  }

  it("keeps nanosecond precision below the microsecond", () => {
    const recs = [{ data: new Uint8Array(20), ts: 1_700_000_000.123456789 }];
    const { frames } = readAll(writePcap(recs, { nanos: true, linkType: 101 }));
    expect(frames[0]!.ts).toBeCloseTo(1_700_000_000.123456789, 6);
    expect(frames[0]!.linkType).toBe(101);
  });

  it("masks the FCS bits of the link-type field", () => {
    const bytes = writePcap(records(1), { linkType: 1 });
    bytes[23] = 0x14; // FCS length 4 flag in the top nibble (little-endian upper byte)
    expect(readAll(bytes).frames[0]!.linkType).toBe(1);
  });
});

describe("pcapng", () => {
  for (const bigEndian of [false, true]) {
    it(`${bigEndian ? "big" : "little"}-endian EPB with an unknown block skipped`, () => {
      const recs = records(4);
      const { frames, counters, reader } = readAll(writePcapng(recs, { bigEndian, unknownBlock: true }));
      expect(reader.format).toBe("pcapng");
      expectFrames(frames, recs);
      expect(counters.snapshot()).toEqual({});
    });
  }

  it("several interfaces with different link types and resolutions", () => {
    const recs: CaptureRecord[] = [
      { data: new Uint8Array(30).fill(1), ts: 1_700_000_000.5, iface: 0, origLen: 30 },
      { data: new Uint8Array(40).fill(2), ts: 1_700_000_001.000001, iface: 1, origLen: 40 },
      { data: new Uint8Array(50).fill(3), ts: 1_700_000_002.25, iface: 2, origLen: 50 },
    ];
    const bytes = writePcapng(recs, { interfaces: [{ linkType: 1 }, { linkType: 0, tsresol: 9 }, { linkType: 113, tsresol: 0x80 | 20 }] });
    const { frames } = readAll(bytes);
    expect(frames.map((f) => [f.iface, f.linkType, f.data.length])).toEqual([[0, 1, 30], [1, 0, 40], [2, 113, 50]]);
    expect(frames[0]!.ts).toBeCloseTo(1_700_000_000.5, 6);
    expect(frames[1]!.ts).toBeCloseTo(1_700_000_001.000001, 6);
    expect(frames[2]!.ts).toBeCloseTo(1_700_000_002.25, 5);
  });

  it("several sections, each with its own byte order and interfaces; index runs on", () => {
    const a = records(2);
    const b = records(3);
    const bytes = concat(writePcapng(a, { interfaces: [{ linkType: 1 }] }), writePcapng(b, { bigEndian: true, interfaces: [{ linkType: 101, tsresol: 9 }] }));
    const { frames } = readAll(bytes);
    expect(frames.map((f) => f.index)).toEqual([1, 2, 3, 4, 5]);
    expect(frames.map((f) => f.linkType)).toEqual([1, 1, 101, 101, 101]);
    expect(Math.round(frames[4]!.ts * 1e6)).toBe(Math.round(b[2]!.ts! * 1e6));
  });

  it("if_tsoffset is added to the timestamps", () => {
    const recs = records(2);
    const { frames } = readAll(writePcapng(recs, { bigEndian: true, interfaces: [{ linkType: 1, tsresol: 9, tsoffset: 1_500_000_000 }] }));
    expectFrames(frames, recs);
  });

  it("simple packet blocks (no timestamp, snap length of interface 0)", () => {
    const recs = [{ data: new Uint8Array(64).fill(9), origLen: 64 }, { data: new Uint8Array(33).fill(8), origLen: 33 }];
    const { frames } = readAll(writePcapng(recs, { block: "spb", interfaces: [{ linkType: 1, snaplen: 40 }] }));
    expect(frames.map((f) => [f.data.length, f.origLen, f.ts])).toEqual([[40, 64, 0], [33, 33, 0]]);
  });

  it("obsolete packet blocks", () => {
    const recs = records(3);
    expectFrames(readAll(writePcapng(recs, { block: "opb", bigEndian: true })).frames, recs);
  });

  it("a packet block naming an unknown interface is counted and skipped", () => {
    const recs: CaptureRecord[] = [{ data: new Uint8Array(10), iface: 3 }, { data: new Uint8Array(12), iface: 0 }];
    const { frames, counters } = readAll(writePcapng(recs));
    expect(frames.map((f) => f.data.length)).toEqual([12]);
    expect(counters.get("capture.bad-record")).toBe(1);
  });
});

describe("chunk boundaries", () => {
  const files: Array<[string, Uint8Array]> = [
    ["pcap", writePcap(records(12), { nanos: true })],
    ["pcapng", concat(writePcapng(records(6), { unknownBlock: true }), writePcapng(records(5), { bigEndian: true }))],
  ];
  for (const [name, bytes] of files) {
    it(`${name}: one byte at a time and random chunk sizes give identical frames`, () => {
      const whole = readAll(bytes).frames;
      expect(whole.length).toBeGreaterThan(10);
      expect(readAll(bytes, new Array<number>(bytes.length).fill(1)).frames).toEqual(whole);
      let seed = 7;
      for (let round = 0; round < 30; round++) {
        const sizes: number[] = [];
        for (let n = 0; n < bytes.length; ) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          const s = seed % 200;
          sizes.push(s);
          n += s;
        }
        expect(readAll(bytes, sizes).frames).toEqual(whole);
      }
    });
  }
});

describe("a throwing callback", () => {
  it("propagates the exception and resumes at the next record on the next push", () => {
    const recs = records(6);
    const bytes = writePcap(recs);
    for (const chunk of [bytes.length, 37]) {
      const seen: number[] = [];
      const reader = new CaptureReader((f) => {
        if (f.index === 2 || f.index === 4) throw new Error(`boom ${f.index}`);
        seen.push(f.index);
      }, new Counters());
      let errors = 0;
      for (let off = 0; off < bytes.length; off += chunk) {
        try {
          reader.push(bytes.subarray(off, off + chunk));
        } catch {
          errors++;
        }
      }
      for (let tries = 0; tries < 5; tries++) {
        try {
          reader.end(); // parses what was kept after the last exception
          break;
        } catch {
          errors++;
        }
      }
      expect(errors).toBe(2);
      expect(seen).toEqual([1, 3, 5, 6]);
    }
  });
});

describe("truncated and garbage input", () => {
  it("a capture cut at every offset never throws and counts the cut record", () => {
    const recs = records(3);
    const pcapEnds = [24];
    for (const r of recs) pcapEnds.push(pcapEnds[pcapEnds.length - 1]! + 16 + r.data.length);
    const ngEnds = [28, 48];
    for (const r of recs) ngEnds.push(ngEnds[ngEnds.length - 1]! + 32 + Math.ceil(r.data.length / 4) * 4);
    for (const [bytes, ends, headers] of [[writePcap(recs), pcapEnds, 1], [writePcapng(recs), ngEnds, 2]] as const) {
      expect(ends[ends.length - 1]).toBe(bytes.length);
      for (let cut = 0; cut <= bytes.length; cut++) {
        const { frames, counters } = readAll(bytes.subarray(0, cut));
        const complete = ends.filter((e) => e <= cut).length;
        expect(frames.length).toBe(Math.max(0, complete - headers));
        const partial = cut > 0 && !ends.includes(cut) ? 1 : 0;
        expect(counters.get("capture.truncated-record") + counters.get("capture.truncated-header")).toBe(partial);
        expect(counters.get("capture.bad-record")).toBe(0);
      }
    }
  });

  it("counts exactly one truncated record when the last record is cut", () => {
    const bytes = writePcap(records(3));
    const { frames, counters } = readAll(bytes.subarray(0, bytes.length - 5));
    expect(frames.length).toBe(2);
    expect(counters.get("capture.truncated-record")).toBe(1);
  });

  it("an impossible record length stops the read cleanly and is counted", () => {
    const recs = records(3);
    const bytes = writePcap(recs);
    const second = 24 + 16 + recs[0]!.data.length;
    new DataView(bytes.buffer).setUint32(second + 8, 0x7fffffff, true);
    const { frames, counters } = readAll(bytes);
    expect(frames.length).toBe(1);
    expect(counters.get("capture.bad-record")).toBe(1);
  });

  it("a pcapng block with a bad length or trailer stops cleanly", () => {
    const bytes = writePcapng(records(2));
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint32(bad.length - 4, 12345, true); // trailer of the last EPB
    const r = readAll(bad);
    expect(r.frames.length).toBe(1);
    expect(r.counters.get("capture.bad-record")).toBe(1);
    const odd = bytes.slice();
    new DataView(odd.buffer).setUint32(28 + 20 + 4, 13, true); // first IDB's length, not a multiple of 4
    expect(readAll(odd).counters.get("capture.bad-record")).toBe(1);
  });

  it("garbage is neither pcap nor pcapng", () => {
    const { frames, counters, reader } = readAll(new TextEncoder().encode("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect(frames).toEqual([]);
    expect(reader.format).toBeUndefined();
    expect(counters.get("capture.unknown-format")).toBe(1);
  });

  it("random bytes after a valid header never throw", () => {
    let seed = 99;
    for (let round = 0; round < 200; round++) {
      const junk = new Uint8Array(300).map(() => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff), seed & 0xff));
      for (const head of [writePcap([]), writePcapng([])]) {
        const { counters } = readAll(concat(head, junk), [7, 50, 13]);
        expect(counters.get("capture.bad-record") + counters.get("capture.truncated-record")).toBe(1);
      }
    }
  });
});

describe("shared captures", () => {
  for (const c of listRefCaptures()) {
    it(`${c.dir}/${c.name}: frame count equals capinfos`, async () => {
      const counters = new Counters();
      const seen: number[] = [];
      await readCapture(c.capture, (f) => seen.push(f.index), counters);
      expect(seen.length).toBe(summaryPacketCount(c.summary));
      expect(seen[seen.length - 1]).toBe(seen.length);
      expect(counters.snapshot()).toEqual({});
    });
  }

  it("reads the same capture identically when pushed in odd chunks", () => {
    const c = listRefCaptures().find((x) => x.name === "opcua_with-gap_with-handshake")!;
    const bytes = new Uint8Array(readFileSync(c.capture));
    const whole = readAll(bytes).frames;
    expect(readAll(bytes, new Array<number>(Math.floor(bytes.length / 333)).fill(333)).frames).toEqual(whole);
  });
});
