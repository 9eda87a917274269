// The dissector's declaration: MBAP framing (Implementation Guide V1.0b §3.1.3), resynchronisation, and the content
// probe that must find Modbus on any port without mistaking HTTP, TLS or SSH for it.
import { describe, expect, it } from "vitest";
import { adu, hex } from "./fixtures.ts";
import { modbusDissector, modbusFraming, probeModbus, resyncModbus } from "./index.ts";

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("modbusDissector", () => {
  it("declares tcp/502 and MBAP framing", () => {
    expect(modbusDissector).toMatchObject({ name: "modbus", transport: "tcp", ports: [502] });
    expect(modbusFraming.headerLen).toBe(7);
    expect(modbusFraming.maxPdu).toBe(266);
  });

  it("PDU length is 6 + the length field; lengths < 2 or > 260 are impossible", () => {
    expect(modbusFraming.pduLength(hex("0001 0000 0006 01"))).toBe(12);
    expect(modbusFraming.pduLength(hex("0001 0000 0002 01"))).toBe(8);
    expect(modbusFraming.pduLength(hex("0001 0000 00fe 01"))).toBe(260);
    expect(modbusFraming.pduLength(hex("0001 0000 0001 01"))).toBe(-1);
    // Schneider UMAS sends length 255 (out of spec): tolerated up to 260, flagged by the decoder.
    expect(modbusFraming.pduLength(hex("0007 0000 00ff 00"))).toBe(261);
    expect(modbusFraming.pduLength(hex("0001 0000 0105 01"))).toBe(-1);
    expect(modbusFraming.pduLength(hex("0001 0000 ffff 01"))).toBe(-1);
  });

  it("resync finds the next plausible MBAP header after garbage", () => {
    const garbage = hex("ff ff 12 34 56 00 01");
    const next = adu(5, 1, "03 0000 0001");
    const data = new Uint8Array(garbage.length + next.length);
    data.set(garbage);
    data.set(next, garbage.length);
    expect(resyncModbus(data)).toBe(garbage.length);
    // No header in the middle; the last two bytes could still start one, so the framer keeps them and waits.
    expect(resyncModbus(hex("ff ff ff ff ff ff ff ff ff ff"))).toBe(8);
    expect(resyncModbus(hex(""))).toBe(-1);
  });
});

describe("probeModbus", () => {
  it("accepts complete requests and responses", () => {
    expect(probeModbus(adu(1, 1, "03 0000 000a"), 0)).toBe("yes");
    expect(probeModbus(adu(1, 1, "03 04 0001 0002"), 1)).toBe("yes");
    expect(probeModbus(adu(1, 1, "83 02"), 1)).toBe("yes");
    expect(probeModbus(adu(1, 0, "5a 00 02"), 0)).toBe("yes");
    // a server that opened the connection: its responses arrive in direction 0
    expect(probeModbus(adu(1, 10, "81 06"), 0)).toBe("yes");
  });

  it("waits for more bytes while they agree", () => {
    expect(probeModbus(hex("0001 00"), 0)).toBe("more");
    expect(probeModbus(adu(1, 1, "10 0001 0002 04 000a 0102").subarray(0, 12), 0)).toBe("more");
  });

  it("rejects HTTP, TLS, SSH and inconsistent layouts", () => {
    expect(probeModbus(text("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), 0)).toBe("no");
    expect(probeModbus(text("HTTP/1.1 200 OK\r\n"), 1)).toBe("no");
    expect(probeModbus(text("SSH-2.0-OpenSSH_9.2\r\n"), 0)).toBe("no");
    expect(probeModbus(hex("16 03 01 00 c8 01 00 00 c4 03 03"), 0)).toBe("no");
    // protocol id 0 and a sane length but an implausible function code
    expect(probeModbus(adu(1, 1, "63 0000 0001"), 0)).toBe("no");
    // FC3 request whose length is not 6
    expect(probeModbus(adu(1, 1, "03 0000 0001 00"), 0)).toBe("no");
    // exception with an unknown exception code
    expect(probeModbus(adu(1, 1, "83 3f"), 1)).toBe("no");
    // bytes after the first ADU that are no MBAP header
    const two = new Uint8Array(20);
    two.set(adu(1, 1, "03 0000 0001"));
    two.set(text("GET /ind"), 12);
    expect(probeModbus(two, 0)).toBe("no");
  });

  it("never throws on random bytes; resync stays inside the data", () => {
    let seed = 99;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 20000; i++) {
      const b = new Uint8Array(rand() % 40);
      for (let j = 0; j < b.length; j++) b[j] = i % 3 === 0 && (j === 2 || j === 3 || j === 4) ? 0 : rand();
      expect(["yes", "no", "more"]).toContain(probeModbus(b, (i & 1) as 0 | 1));
      const r = resyncModbus(b);
      expect(r).toBeLessThan(Math.max(b.length, 1));
      expect(r).toBeGreaterThanOrEqual(-1);
    }
  });
});
