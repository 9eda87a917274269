// TLS hello decoding and fingerprints. The JA3/JA4 oracle is a published browser fingerprint record (Chrome 143 on
// Android, as reported by a public TLS fingerprinting service: ja3_text, ja3_hash, ja4 and ja4_ro): the ClientHello is
// rebuilt byte by byte from its ordered lists with GREASE values added, decoded, and fingerprinted.
import { describe, expect, it } from "vitest";
import { computeJa3, computeJa4, md5Hex } from "./fingerprint.ts";
import { decodeClientHello, decodeServerHello, isGrease } from "./wire.ts";

const u16 = (v: number): number[] => [v >> 8, v & 0xff];
const vec16 = (b: number[]): number[] => [...u16(b.length), ...b];
const vec8 = (b: number[]): number[] => [b.length, ...b];

const CIPHERS = [4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172, 156, 157, 47, 53];
const EXTENSIONS = [45, 51, 16, 65037, 23, 17613, 0, 11, 10, 43, 65281, 35, 18, 5, 13, 27];
const GROUPS = [4588, 29, 23, 24];
const SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601];

function extData(type: number): number[] {
  switch (type) {
    case 0: {
      const name = [...Buffer.from("tls.example.com")];
      return vec16([0, ...vec16(name)]);
    }
    case 16:
      return vec16([...vec8([...Buffer.from("h2")]), ...vec8([...Buffer.from("http/1.1")])]);
    case 10:
      return vec16([0x3a3a, ...GROUPS].flatMap(u16));
    case 11:
      return vec8([0]);
    case 13:
      return vec16(SIGALGS.flatMap(u16));
    case 43:
      return vec8([0x7a7a, 0x0304, 0x0303].flatMap(u16));
    default:
      return [];
  }
}

/** ClientHello body with a GREASE cipher first and a GREASE extension first and last, as Chrome sends them. */
function chromeHello(): Uint8Array {
  const exts = [0x0a0a, ...EXTENSIONS, 0x1a1a].flatMap((t) => [...u16(t), ...vec16(extData(t))]);
  return Uint8Array.from([
    ...u16(0x0303), ...new Array<number>(32).fill(7), ...vec8(new Array<number>(32).fill(1)),
    ...vec16([0x2a2a, ...CIPHERS].flatMap(u16)), ...vec8([0]), ...vec16(exts),
  ]);
}

describe("ClientHello", () => {
  it("decodes lists, SNI, ALPN and supported_versions, and fingerprints like the published JA3/JA4", () => {
    const ch = decodeClientHello(chromeHello());
    expect(ch.issues).toEqual([]);
    expect(ch.sni).toBe("tls.example.com");
    expect(ch.alpn).toEqual(["h2", "http/1.1"]);
    expect(ch.supportedVersions).toEqual([0x0304, 0x0303]);
    expect(ch.extensions.length).toBe(18);
    const ja3 = computeJa3(ch);
    expect(ja3).toBe("771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0");
    expect(md5Hex(ja3)).toBe("98487aa16281980e7d1120d399efb6a4");
    expect(computeJa4(ch)).toBe("t13d1516h2_8daaf6152771_d8a2da3f94cd");
  });

  it("follows the JA4 rules for no SNI, no ALPN, non-alphanumeric ALPN and legacy versions", () => {
    const base = decodeClientHello(chromeHello());
    expect(computeJa4({ ...base, extensions: base.extensions.filter((e) => e !== 0 && e !== 16), alpn: [] }).slice(0, 10)).toBe("t13i151400");
    expect(computeJa4({ ...base, alpn: ["\x01\x02"] }).slice(8, 10)).toBe("02");
    expect(computeJa4({ ...base, supportedVersions: [], version: 0x0302 }).slice(0, 4)).toBe("t11d");
    expect(computeJa4({ ...base, cipherSuites: [], extensions: [] })).toBe("t13i0000h2_000000000000_000000000000");
  });

  it("flags truncation at every cut and never throws on mutations", () => {
    const hello = chromeHello();
    for (let n = 0; n < hello.length; n += 7) expect(decodeClientHello(hello.subarray(0, n)).issues.length).toBeGreaterThan(0);
    let seed = 3;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 3000; i++) {
      const m = Uint8Array.from(hello);
      for (let k = 0; k < 1 + Math.floor(rnd() * 6); k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      expect(() => computeJa4(decodeClientHello(m))).not.toThrow();
    }
  });

  it("knows GREASE values", () => {
    expect([0x0a0a, 0x1a1a, 0xfafa].every(isGrease)).toBe(true);
    expect([0x0a1a, 0x0303, 0x1301].some(isGrease)).toBe(false);
  });
});

describe("ServerHello", () => {
  it("decodes version, cipher, and the TLS 1.3 selected version", () => {
    const body = Uint8Array.from([
      ...u16(0x0303), ...new Array<number>(32).fill(9), ...vec8([]), ...u16(0x1301), 0,
      ...vec16([...u16(43), ...vec16(u16(0x0304)), ...u16(51), ...vec16([0, 29, 0, 0])]),
    ]);
    expect(decodeServerHello(body)).toEqual({ version: 0x0303, cipherSuite: 0x1301, compression: 0, extensions: [43, 51], selectedVersion: 0x0304, alpn: "", issues: [] });
    expect(decodeServerHello(body.subarray(0, 36)).issues).toEqual(["truncated"]);
  });
});
