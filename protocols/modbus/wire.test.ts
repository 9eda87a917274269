// Byte fixtures for decodeAdu, one per function code, taken from the examples of "MODBUS Application Protocol
// Specification V1.1b3" §6.x (cited per case), plus malformed and hostile inputs.
import { describe, expect, it } from "vitest";
import { ascii, adu, hex } from "./fixtures.ts";
import { decodeAdu } from "./wire.ts";

describe("MBAP header (Implementation Guide §3.1.3)", () => {
  it("decodes transaction id, protocol id, length, unit and function code", () => {
    const b = hex(
      "12 34", // transaction id 0x1234
      "00 00", // protocol id 0
      "00 06", // length 6 = unit + 5-byte PDU
      "11", //    unit 17
      "03", //    FC3 read holding registers
      "00 6b", // starting address 107
      "00 03", // quantity 3
    );
    const p = decodeAdu(b, true, -1, 42, 1.5);
    expect(p).toEqual({ frame: 42, ts: 1.5, tid: 0x1234, protocolId: 0, length: 6, unit: 17, fc: 3, address: 107, quantity: 3 });
  });

  it("flags protocol id ≠ 0 but still decodes", () => {
    const p = decodeAdu(adu(1, 1, "03 006b 0003", 0x0001), true);
    expect(p.issues).toEqual(["protocol-id"]);
    expect(p.address).toBe(107);
  });

  it("flags a length field that disagrees with the bytes", () => {
    const b = adu(1, 1, "03 006b 0003");
    b[5] = 9;
    expect(decodeAdu(b, true).issues).toEqual(["length-mismatch"]);
  });
});

describe("read functions §6.1–§6.4", () => {
  it("FC1 request and response: bits LSB first, count from the request", () => {
    // §6.1 example: read coils 20–38 → address 0x13, quantity 19; response CD 6B 05.
    expect(decodeAdu(adu(1, 1, "01 0013 0013"), true)).toMatchObject({ fc: 1, address: 19, quantity: 19 });
    const r = decodeAdu(adu(1, 1, "01 03 cd 6b 05"), false, 19);
    expect(r.byteCount).toBe(3);
    // CD = 1100 1101 → coils 20..27 = 1,0,1,1,0,0,1,1; 6B = 0110 1011; 05 = 101 (3 bits used of 19).
    expect(r.values).toEqual([1, 0, 1, 1, 0, 0, 1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1]);
    expect(r.issues).toBeUndefined();
  });

  it("FC1 response without the request reports every bit of the data bytes", () => {
    expect(decodeAdu(adu(1, 1, "01 01 05"), false).values).toEqual([1, 0, 1, 0, 0, 0, 0, 0]);
  });

  it("FC2 response (§6.2 example: inputs 197–218, AC DB 35)", () => {
    const r = decodeAdu(adu(1, 1, "02 03 ac db 35"), false, 22);
    expect(r.values).toHaveLength(22);
    expect(r.values?.slice(0, 8)).toEqual([0, 0, 1, 1, 0, 1, 0, 1]);
  });

  it("FC3 response (§6.3 example: 555, 0, 100)", () => {
    const r = decodeAdu(adu(1, 1, "03 06 022b 0000 0064"), false);
    expect(r).toMatchObject({ fc: 3, byteCount: 6, values: [555, 0, 100] });
  });

  it("FC4 request and response (§6.4 example)", () => {
    expect(decodeAdu(adu(1, 1, "04 0008 0001"), true)).toMatchObject({ address: 8, quantity: 1 });
    expect(decodeAdu(adu(1, 1, "04 02 000a"), false)).toMatchObject({ byteCount: 2, values: [10] });
  });

  it("flags a byte count that disagrees with the data and decodes what is there", () => {
    const r = decodeAdu(adu(1, 1, "03 06 022b 0000"), false);
    expect(r.issues).toEqual(["byte-count-mismatch"]);
    expect(r.values).toEqual([555, 0]);
  });

  it("flags quantities outside the spec range", () => {
    expect(decodeAdu(adu(1, 1, "03 0000 0000"), true).issues).toEqual(["quantity-out-of-range"]);
    expect(decodeAdu(adu(1, 1, "01 0000 07d1"), true).issues).toEqual(["quantity-out-of-range"]);
  });
});

describe("single writes §6.5–§6.6", () => {
  it("FC5 maps FF00 to 1 and 0000 to 0 (§6.5 example: coil 173 ON)", () => {
    expect(decodeAdu(adu(1, 1, "05 00ac ff00"), true)).toMatchObject({ address: 172, values: [1] });
    expect(decodeAdu(adu(1, 1, "05 00ac 0000"), false)).toMatchObject({ address: 172, values: [0] });
  });

  it("FC5 flags any other value and keeps it as hex", () => {
    const p = decodeAdu(adu(1, 1, "05 00ac 1234"), true);
    expect(p).toMatchObject({ address: 172, data: "1234", issues: ["bad-coil-value"] });
    expect(p.values).toBeUndefined();
  });

  it("FC6 (§6.6 example: register 2 ← 3)", () => {
    expect(decodeAdu(adu(1, 1, "06 0001 0003"), true)).toMatchObject({ address: 1, values: [3] });
  });
});

describe("serial-line-era functions §6.7–§6.10, §6.13", () => {
  it("FC7 request is empty, response keeps the status byte", () => {
    expect(decodeAdu(adu(1, 1, "07"), true).issues).toBeUndefined();
    expect(decodeAdu(adu(1, 1, "07 6d"), false).data).toBe("6d");
  });

  it("FC8 keeps the sub-function and its data (§6.8 example: return query data A537)", () => {
    expect(decodeAdu(adu(1, 1, "08 0000 a537"), true)).toMatchObject({ subFunction: 0, data: "a537" });
    expect(decodeAdu(adu(1, 1, "08 000a 0000"), false)).toMatchObject({ subFunction: 10, data: "0000" });
  });

  it("FC11 response (§6.9 example) and FC12 response (§6.10 example)", () => {
    expect(decodeAdu(adu(1, 1, "0b ffff 0108"), false).data).toBe("ffff0108");
    expect(decodeAdu(adu(1, 1, "0c 08 0000 0108 0121 2000"), false)).toMatchObject({ byteCount: 8, data: "0000010801212000" });
  });

  it("FC17 response keeps the server id bytes", () => {
    expect(decodeAdu(adu(1, 1, "11 03 42 ff 01"), false)).toMatchObject({ byteCount: 3, data: "42ff01" });
  });
});

describe("multiple writes §6.11–§6.12", () => {
  it("FC15 request: 10 coils from 20 (§6.11 example: CD 01)", () => {
    const p = decodeAdu(adu(1, 1, "0f 0013 000a 02 cd01"), true);
    expect(p).toMatchObject({ address: 19, quantity: 10, byteCount: 2, values: [1, 0, 1, 1, 0, 0, 1, 1, 1, 0] });
    expect(p.issues).toBeUndefined();
    expect(decodeAdu(adu(1, 1, "0f 0013 000a"), false)).toMatchObject({ address: 19, quantity: 10 });
  });

  it("FC16 request: registers 2–3 ← 000A 0102 (§6.12 example)", () => {
    expect(decodeAdu(adu(1, 1, "10 0001 0002 04 000a 0102"), true)).toMatchObject({
      address: 1,
      quantity: 2,
      byteCount: 4,
      values: [10, 258],
    });
    expect(decodeAdu(adu(1, 1, "10 0001 0002"), false)).toMatchObject({ address: 1, quantity: 2 });
  });

  it("FC16 flags a byte count that disagrees with the quantity", () => {
    expect(decodeAdu(adu(1, 1, "10 0001 0003 04 000a 0102"), true).issues).toEqual(["byte-count-mismatch"]);
  });
});

describe("file records §6.14–§6.15", () => {
  it("FC20 request: two sub-requests (§6.14 example)", () => {
    const p = decodeAdu(adu(1, 1, "14 0e 06 0004 0001 0002 06 0003 0009 0002"), true);
    expect(p.byteCount).toBe(14);
    expect(p.records).toEqual([
      { refType: 6, file: 4, record: 1, length: 2 },
      { refType: 6, file: 3, record: 9, length: 2 },
    ]);
  });

  it("FC20 response: two groups with their data (§6.14 example)", () => {
    const p = decodeAdu(adu(1, 1, "14 0c 05 06 0dfe 0020 05 06 33cd 0040"), false);
    expect(p.records).toEqual([
      { refType: 6, length: 2, data: "0dfe0020" },
      { refType: 6, length: 2, data: "33cd0040" },
    ]);
    expect(p.issues).toBeUndefined();
  });

  it("FC21 request and echo (§6.15 example)", () => {
    const pdu = "15 0d 06 0004 0007 0003 06af 04be 100d";
    const want = [{ refType: 6, file: 4, record: 7, length: 3, data: "06af04be100d" }];
    expect(decodeAdu(adu(1, 1, pdu), true).records).toEqual(want);
    expect(decodeAdu(adu(1, 1, pdu), false).records).toEqual(want);
  });
});

describe("§6.16–§6.18", () => {
  it("FC22 mask write (§6.16 example)", () => {
    expect(decodeAdu(adu(1, 1, "16 0004 00f2 0025"), true)).toMatchObject({ address: 4, andMask: 0xf2, orMask: 0x25 });
  });

  it("FC23 request and response (§6.17 example)", () => {
    expect(decodeAdu(adu(1, 1, "17 0003 0006 000e 0003 06 00ff 00ff 00ff"), true)).toMatchObject({
      readAddress: 3,
      readQuantity: 6,
      writeAddress: 14,
      writeQuantity: 3,
      byteCount: 6,
      values: [255, 255, 255],
    });
    expect(decodeAdu(adu(1, 1, "17 0c 00fe 0acd 0001 0003 000d 00ff"), false)).toMatchObject({
      byteCount: 12,
      values: [254, 2765, 1, 3, 13, 255],
    });
  });

  it("FC24 request and response (§6.18 example: FIFO 1246, two values)", () => {
    expect(decodeAdu(adu(1, 1, "18 04de"), true)).toMatchObject({ address: 1246 });
    const r = decodeAdu(adu(1, 1, "18 0006 0002 01b8 1284"), false);
    expect(r).toMatchObject({ byteCount: 6, quantity: 2, values: [440, 4740] });
    expect(r.issues).toBeUndefined();
  });
});

describe("FC43 encapsulated interface §6.19–§6.21", () => {
  it("MEI 14 read device identification request", () => {
    expect(decodeAdu(adu(1, 1, "2b 0e 01 00"), true)).toMatchObject({ mei: 14, readDeviceId: 1, objectId: 0 });
  });

  it("MEI 14 response objects as strings (§6.21 example)", () => {
    const pdu = [
      "2b 0e 01", // MEI 14, read device id code 1
      "01 00 00", // conformity level 1, more follows 0, next object id 0
      "03", //       number of objects
      `00 16 ${ascii("Company identification")}`,
      `01 0f ${ascii("Product code XX")}`,
      `02 05 ${ascii("V2.11")}`,
    ].join("");
    const p = decodeAdu(adu(1, 1, pdu), false);
    expect(p.objects).toEqual([
      { id: 0, value: "Company identification" },
      { id: 1, value: "Product code XX" },
      { id: 2, value: "V2.11" },
    ]);
    expect(p.issues).toBeUndefined();
  });

  it("an object running past the end is flagged and cut", () => {
    const p = decodeAdu(adu(1, 1, `2b 0e 01 01 00 00 01 00 09 ${ascii("abc")}`), false);
    expect(p.objects).toEqual([{ id: 0, value: "abc" }]);
    expect(p.issues).toEqual(["short-pdu"]);
  });

  it("MEI 13 CANopen data is kept as hex", () => {
    expect(decodeAdu(adu(1, 1, "2b 0d 0102"), true)).toMatchObject({ mei: 13, data: "0102" });
  });
});

describe("exceptions §7, vendor and unknown codes", () => {
  it("exception response keeps fc | 0x80 and the code (§7 example: 81 02)", () => {
    expect(decodeAdu(adu(1, 1, "81 02"), false)).toMatchObject({ fc: 0x81, exception: 2 });
  });

  it("Schneider UMAS (90) and user-defined codes surface their bytes", () => {
    expect(decodeAdu(adu(1, 0, "5a 00 02"), true)).toMatchObject({ fc: 90, data: "0002" });
    expect(decodeAdu(adu(1, 0, "41 deadbeef"), false)).toMatchObject({ fc: 65, data: "deadbeef" });
  });

  it("raw hex is capped at MODBUS_RAW_HEX_MAX bytes", () => {
    const p = decodeAdu(adu(1, 0, `5a ${"ab".repeat(200)}`), true);
    expect(p.data).toHaveLength(128);
  });
});

describe("hostile input", () => {
  it("flags short PDUs for every public function code in both directions", () => {
    for (const fc of [1, 2, 3, 4, 5, 6, 8, 15, 16, 20, 21, 22, 23, 24, 43]) {
      for (const isRequest of [true, false]) {
        const p = decodeAdu(adu(1, 1, fc.toString(16).padStart(2, "0")), isRequest);
        expect(p.issues, `fc ${fc} ${isRequest ? "request" : "response"}`).toContain("short-pdu");
      }
    }
  });

  it("never throws on truncation at every offset and on random bytes", () => {
    const full = adu(7, 1, "17 0003 0006 000e 0003 06 00ff 00ff 00ff");
    for (let cut = 0; cut <= full.length; cut++) {
      expect(() => decodeAdu(full.subarray(0, cut), true)).not.toThrow();
      expect(() => decodeAdu(full.subarray(0, cut), false, 5)).not.toThrow();
    }
    let seed = 12345;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let i = 0; i < 20000; i++) {
      const b = new Uint8Array(8 + (rand() % 40));
      for (let j = 0; j < b.length; j++) b[j] = rand();
      b[7] = [1, 2, 3, 4, 5, 6, 8, 15, 16, 20, 21, 22, 23, 24, 43, 90, 0x83][i % 17]!;
      const p = decodeAdu(b, i % 2 === 0, i % 3 === 0 ? rand() * 10 : -1);
      expect(p.fc).toBe(b[7]);
    }
  });

  it("a one-byte buffer yields a short-pdu result", () => {
    expect(decodeAdu(hex("00"), true)).toMatchObject({ fc: 0, issues: ["short-pdu"] });
  });
});
