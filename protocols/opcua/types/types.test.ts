// Byte fixtures for the built-in types of OPC UA Part 6 §5.2.2, annotated field by field.
import { Buffer } from "node:buffer";
import { describe, expect, it } from "vitest";
import { hex, w } from "../fixtures.ts";
import { readDataValue, readExtensionObject, readLocalizedText, readQualifiedName, readVariant, skipDiagnosticInfo } from "./builtins.ts";
import { Cursor, DecodeError } from "./cursor.ts";
import { readExpandedNodeId, readNodeId, readNodeIdNumeric } from "./node-id.ts";

const cur = (text: string): Cursor => new Cursor(hex(text));

describe("NodeId (Part 6 §5.2.2.9)", () => {
  it("decodes the two-byte encoding", () => {
    expect(readNodeId(cur("00 55  # two-byte, id 85"))).toBe("i=85");
  });
  it("decodes the four-byte encoding", () => {
    expect(readNodeId(cur("01 00 d2 08  # four-byte, ns 0, id 2258"))).toBe("i=2258");
    expect(readNodeId(cur("01 05 01 04  # four-byte, ns 5, id 1025"))).toBe("ns=5;i=1025");
  });
  it("decodes the numeric encoding", () => {
    expect(readNodeId(cur("02 01 00 40 e2 01 00  # numeric, ns 1, id 123456"))).toBe("ns=1;i=123456");
  });
  it("decodes the string encoding", () => {
    expect(readNodeId(cur(`03 01 00            # string, ns 1
      0b 00 00 00 4c 69 6e 65 32 2e 53 70 65 65 64  # "Line2.Speed"`))).toBe("ns=1;s=Line2.Speed");
  });
  it("decodes the guid encoding", () => {
    expect(readNodeId(cur(`04 02 00  # guid, ns 2
      91 2b 96 72  75 fa  e6 4a  8d 28 b4 04 dc 7d af 63  # Data1 LE, Data2 LE, Data3 LE, Data4`)))
      .toBe("ns=2;g=72962b91-fa75-4ae6-8d28-b404dc7daf63");
    expect(readNodeId(cur(`04 00 00  # guid, ns 0: every group zero-padded
      0a 00 00 00  01 00  00 00  00 01 02 03 04 05 06 0f`))).toBe("g=0000000a-0001-0000-0001-02030405060f");
  });
  it("decodes the opaque (ByteString) encoding as base64", () => {
    expect(readNodeId(cur("05 03 00  04 00 00 00 de ad be ef  # opaque, ns 3, 4 bytes"))).toBe("ns=3;b=3q2+7w==");
  });
  it("rejects an unknown encoding and a truncated identifier", () => {
    expect(() => readNodeId(cur("06 00"))).toThrow(DecodeError);
    expect(() => readNodeId(cur("02 01 00 40"))).toThrow(DecodeError);
  });
  it("returns the numeric id in namespace 0 for type ids, -1 otherwise", () => {
    expect(readNodeIdNumeric(cur("01 00 77 02"))).toBe(631);
    expect(readNodeIdNumeric(cur("01 01 77 02"))).toBe(-1);
    expect(readNodeIdNumeric(cur("03 00 00 01 00 00 00 61"))).toBe(-1);
  });
  it("traces every NodeId when a test asks (mask, ns, numeric, string)", () => {
    const c = cur("00 55  01 02 10 00  03 01 00 01 00 00 00 78");
    c.trace = [];
    readNodeId(c);
    readNodeId(c);
    readNodeId(c);
    expect(c.trace).toEqual([
      { mask: 0, ns: undefined, numeric: 85, str: undefined },
      { mask: 1, ns: 2, numeric: 16, str: undefined },
      { mask: 3, ns: 1, numeric: undefined, str: "x" },
    ]);
  });
});

describe("ExpandedNodeId (Part 6 §5.2.2.10)", () => {
  it("adds the namespace URI and server index flags", () => {
    expect(readExpandedNodeId(cur(`c1 00 d2 08           # four-byte | 0x80 NamespaceUri | 0x40 ServerIndex
      03 00 00 00 75 72 6e   # NamespaceUri "urn"
      02 00 00 00            # ServerIndex 2`))).toBe("svr=2;nsu=urn;i=2258");
    expect(readExpandedNodeId(cur("00 3d"))).toBe("i=61");
  });
});

describe("strings and names", () => {
  it("reads a null String as undefined, an empty one as ''", () => {
    expect(cur("ff ff ff ff").string()).toBeUndefined();
    expect(cur("00 00 00 00").string()).toBe("");
  });
  it("rejects a String longer than the body", () => {
    expect(() => cur("10 00 00 00 41").string()).toThrow(DecodeError);
  });
  it("reads LocalizedText with and without locale", () => {
    expect(readLocalizedText(cur("03  02 00 00 00 65 6e  02 00 00 00 68 69  # locale 'en', text 'hi'"))).toBe("hi");
    expect(readLocalizedText(cur("00  # neither"))).toBe("");
  });
  it("reads QualifiedName with its namespace", () => {
    expect(readQualifiedName(cur("02 00  03 00 00 00 52 75 6e  # ns 2, 'Run'"))).toBe("2:Run");
  });
});

describe("Variant (Part 6 §5.2.2.16)", () => {
  const cases: [string, string, string][] = [
    ["01 01", "Boolean", "true"],
    ["02 ff", "SByte", "-1"],
    ["03 ff", "Byte", "255"],
    ["04 fe ff", "Int16", "-2"],
    ["05 fe ff", "UInt16", "65534"],
    ["06 d6 ff ff ff", "Int32", "-42"],
    ["07 2a 00 00 00", "UInt32", "42"],
    ["08 ff ff ff ff ff ff ff ff", "Int64", "-1"],
    ["09 ff ff ff ff ff ff ff ff", "UInt64", "18446744073709551615"],
    ["0a 00 00 c0 3f", "Float", "1.5"],
    ["0b 00 00 00 00 00 00 04 40", "Double", "2.5"],
    ["0c 02 00 00 00 6f 6b", "String", "ok"],
    ["0d 00 80 3e d5 de b1 9d 01", "DateTime", "1601-01-01T00:00:00.000Z"],
    ["0f 02 00 00 00 ca fe", "ByteString", "cafe"],
    ["11 01 02 0a 00", "NodeId", "ns=2;i=10"],
    ["12 00 3d", "ExpandedNodeId", "i=61"],
    ["13 00 00 34 80", "StatusCode", "0x80340000"],
    ["14 01 00 01 00 00 00 58", "QualifiedName", "1:X"],
    ["15 02 01 00 00 00 59", "LocalizedText", "Y"],
    ["16 01 00 41 01  00 00 00 00", "ExtensionObject", "ExtensionObject(321)"],
    ["17 01 06 07 00 00 00", "DataValue", "7"],
    ["18 06 07 00 00 00", "Variant", "7"],
    ["19 00", "DiagnosticInfo", ""],
  ];
  for (const [bytes, type, value] of cases) {
    it(`decodes a ${type} scalar`, () => {
      const v = readVariant(cur(bytes));
      expect(v.type).toBe(type);
      if (type !== "DateTime") expect(v.value).toBe(value);
    });
  }
  it("decodes a DateTime as ISO text (100 ns ticks since 1601)", () => {
    // 2020-01-01T00:00:00Z = 132223104000000000 ticks = 0x01D5C03669050000
    expect(readVariant(cur("0d 00 00 05 69 36 c0 d5 01")).value).toBe("2020-01-01T00:00:00.000Z");
  });
  it("decodes a Null variant", () => {
    expect(readVariant(cur("00"))).toEqual({ type: "Null", value: "" });
  });
  it("decodes arrays as JSON text and matrices with their dimensions", () => {
    expect(readVariant(cur("86 03 00 00 00  01 00 00 00  02 00 00 00  03 00 00 00  # Int32[3]"))).toEqual({ type: "Int32[]", value: "[1,2,3]" });
    expect(readVariant(cur("81 02 00 00 00 01 00  # Boolean[2]"))).toEqual({ type: "Boolean[]", value: "[true,false]" });
    expect(readVariant(cur("8c 02 00 00 00  01 00 00 00 61  ff ff ff ff  # String[2] 'a', null"))).toEqual({ type: "String[]", value: '["a",""]' });
    expect(readVariant(cur(`c3 04 00 00 00 01 02 03 04   # Byte[4] with dimensions
      02 00 00 00 02 00 00 00 02 00 00 00                  # dims [2,2]`))).toEqual({ type: "Byte[][2,2]", value: "[1,2,3,4]" });
  });
  it("writes array text exactly as JSON.stringify would (escapes, NaN/Infinity, 64-bit rounding)", () => {
    const strings = ["plain", 'quo"te', "back\\slash", "tab\tnew\nline", "\u0001", "é ü 漢字", "😀", "\ud800x", ""];
    const enc = new TextEncoder();
    const b = w().u8(0x8c).i32(strings.length);
    for (const s of strings) {
      const bytes = enc.encode(s);
      b.i32(bytes.length);
      for (const x of bytes) b.u8(x);
    }
    const decoded = strings.map((s) => new TextDecoder().decode(enc.encode(s)));
    expect(readVariant(new Cursor(b.done())).value).toBe(JSON.stringify(decoded));
    const doubles = [1.5, -0, Number.NaN, Infinity, -Infinity, 1e300, 5e-324];
    const bd = w().u8(0x8b).i32(doubles.length);
    const dv = new DataView(new ArrayBuffer(8));
    for (const d of doubles) {
      dv.setFloat64(0, d, true);
      for (let i = 0; i < 8; i++) bd.u8(dv.getUint8(i));
    }
    expect(readVariant(new Cursor(bd.done())).value).toBe(JSON.stringify(doubles));
    const bi = w().u8(0x88).i32(2);
    for (const x of [0xffffffff, 0x7fffffff]) bi.u32(x).u32(x); // Int64 -1 and a 63-bit value that Number rounds
    expect(readVariant(new Cursor(bi.done())).value).toBe(JSON.stringify([-1, Number(0x7fffffff7fffffffn)]));
  });
  it("writes ByteStrings as hex of at most 128 bytes (scalars and array items)", () => {
    const long = Uint8Array.from({ length: 200 }, (_, i) => (i * 37) & 0xff);
    const short = Uint8Array.from([0, 1, 0xab, 0xff]);
    expect(readVariant(new Cursor(w().u8(0x0f).bytes(long).done())).value)
      .toBe(Buffer.from(long.subarray(0, 128)).toString("hex"));
    expect(readVariant(new Cursor(w().u8(0x8f).i32(3).bytes(short).bytes(undefined).bytes(new Uint8Array(0)).done())).value)
      .toBe(JSON.stringify([Buffer.from(short).toString("hex"), "", ""]));
  });
  it("bounds long arrays", () => {
    const b = w().u8(0x83).i32(100);
    for (let i = 0; i < 100; i++) b.u8(i);
    const v = readVariant(new Cursor(b.done()));
    expect(v.value.endsWith(",…]")).toBe(true);
    expect(v.value.startsWith("[0,1,2")).toBe(true);
  });
  it("rejects an impossible array length and an unknown built-in type", () => {
    expect(() => readVariant(cur("86 ff ff ff 7f 00"))).toThrow(DecodeError);
    expect(() => readVariant(cur("1f 00"))).toThrow(DecodeError);
  });
  it("bounds Variant-in-Variant nesting", () => {
    const b = w();
    for (let i = 0; i < 100; i++) b.u8(0x18);
    b.u8(0);
    expect(() => readVariant(new Cursor(b.done()))).toThrow(DecodeError);
  });
});

describe("DataValue, ExtensionObject, DiagnosticInfo", () => {
  it("reads a DataValue with value, status and both timestamps", () => {
    const c = cur(`0f                      # mask: value | status | source ts | server ts
      0b 00 00 00 00 00 00 f0 3f   # Double 1.0
      00 00 35 80                  # StatusCode 0x80350000
      00 00 00 00 00 00 00 00      # SourceTimestamp
      00 00 00 00 00 00 00 00      # ServerTimestamp`);
    expect(readDataValue(c)).toEqual({ value: { type: "Double", value: "1" }, status: 0x80350000 });
    expect(c.remaining).toBe(0);
  });
  it("skips an ExtensionObject body and counts it as not walked", () => {
    const c = cur("01 00 ad 02  01  03 00 00 00 aa bb cc  # type 685, binary body of 3 bytes");
    expect(readExtensionObject(c)).toBe(685);
    expect(c.remaining).toBe(0);
    expect(c.skipped).toBe(1);
  });
  it("hands a binary body to the caller when asked", () => {
    const c = cur("01 00 44 01  01  09 00 00 00  05 00 00 00 61 6c 69 63 65  # UserNameIdentityToken body: PolicyId 'alice'");
    let policy: string | undefined;
    readExtensionObject(c, (t, b) => {
      expect(t).toBe(324);
      policy = b.string();
    });
    expect(policy).toBe("alice");
  });
  it("skips a DiagnosticInfo with every field and bounds its recursion", () => {
    const c = cur(`7f  01 00 00 00  02 00 00 00  03 00 00 00  04 00 00 00  # mask all, symbolic id, ns, locale, text
      02 00 00 00 68 69   00 00 01 80   # additional info 'hi', inner status
      00                                # inner diagnostic info: empty`);
    skipDiagnosticInfo(c);
    expect(c.remaining).toBe(0);
    const deep = new Uint8Array(200).fill(0x40);
    expect(() => skipDiagnosticInfo(new Cursor(deep))).toThrow(DecodeError);
  });
});
