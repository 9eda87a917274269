// The dissector's declaration: content probe (any port), framing "8-byte header, length at offset 4" with resync, and a
// seeded mutation run through the session (bit flips, truncation) asserting that nothing but counted anomalies comes out.
import { describe, expect, it } from "vitest";
import { OPCUA_MAX_PDU } from "./constants.ts";
import { ack, FLOW, hel, hex, msg, openRequest, openResponse, opn, RecordingContext, w } from "./fixtures.ts";
import { opcuaDissector, probeOpcua } from "./index.ts";
import { findNextHeader, messageLength } from "./transport.ts";

describe("opcuaDissector", () => {
  it("declares port 4840 over TCP and the UA TCP framing", () => {
    expect(opcuaDissector).toMatchObject({ name: "opcua", transport: "tcp", ports: [4840] });
    expect(opcuaDissector.framing).toMatchObject({ headerLen: 8, maxPdu: OPCUA_MAX_PDU });
  });

  it("probes by content: every message type with chunk F/C/A and a sane size", () => {
    expect(probeOpcua(hel("opc.tcp://x:4840"), 0)).toBe("yes");
    expect(probeOpcua(ack(), 1)).toBe("yes");
    expect(probeOpcua(hex("4d 53 47 43 20 00 00 00"), 0)).toBe("yes"); // MSG C, 32 bytes (picked up mid-stream)
    expect(probeOpcua(hex("4f 50 4e 41 20 00 00 00"), 0)).toBe("yes"); // OPN A
    expect(probeOpcua(hex("48 45"), 0)).toBe("more");
    expect(probeOpcua(hex("48 45 4c 46 3c 00"), 0)).toBe("more");
    expect(probeOpcua(hex("47 45 54 20 2f 20 48 54"), 0)).toBe("no"); // "GET / HT"
    expect(probeOpcua(hex("48 45 4c 58 3c 00 00 00"), 0)).toBe("no"); // bad chunk type
    expect(probeOpcua(hex("48 45 4c 46 04 00 00 00"), 0)).toBe("no"); // size below the header
    expect(probeOpcua(hex("48 45 4c 46 00 00 00 7f"), 0)).toBe("no"); // 2 GiB
    expect(probeOpcua(hex("00 00 00 00 00 06 01 03"), 0)).toBe("no"); // Modbus MBAP
  });

  it("reads the message size at offset 4 and resynchronises to the next plausible header", () => {
    expect(messageLength(hex("4d 53 47 46 6d 00 00 00"))).toBe(0x6d);
    expect(messageLength(hex("4d 53 47 46 6d 00 00 02"))).toBe(-1); // > OPCUA_MAX_PDU
    const junk = Uint8Array.from([1, 2, 3, ...hel("opc.tcp://x")]);
    expect(findNextHeader(junk)).toBe(3);
    expect(findNextHeader(hel("opc.tcp://x"))).toBe(0);
    expect(findNextHeader(hex("00 01 02 03 04 05 06 07 08"))).toBe(-1);
  });

  it("survives mutated and truncated messages: anomalies are events, never exceptions", () => {
    const good = [
      hel("opc.tcp://plc:4840"), ack(), opn(0, 1, openRequest(0, 0, 1, 60000)), opn(7, 1, openResponse(0, 7, 3)),
      msg(7, 3, 2, w().nodeId(673, 0).requestHeader(2).i32(1).stringNodeId(1, "a.b").u32(13).string(undefined).u8(1)
        .u8(0x86).i32(2).i32(1).i32(2).done()),
      msg(7, 3, 2, w().nodeId(676, 0).responseHeader(2).i32(1).u32(0).i32(-1).done()),
    ];
    let seed = 12345;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const session = opcuaDissector.createSession(FLOW);
    const ctx = new RecordingContext();
    let n = 0;
    for (let round = 0; round < 3000; round++) {
      const base = good[rnd(good.length)] ?? good[0];
      if (!base) continue;
      const m = base.slice(0, 8 + rnd(base.length - 7));
      for (let k = rnd(4); k > 0; k--) {
        const i = 8 + rnd(Math.max(1, m.length - 8));
        if (i < m.length) m[i] = (m[i] ?? 0) ^ (1 << rnd(8));
      }
      ctx.frame = ++n;
      ctx.ts = 1000 + round;
      session.onPdu(rnd(2) as 0 | 1, m, ctx);
      if (round % 100 === 0) session.onTick?.(ctx);
    }
    session.onEnd(ctx);
    expect(ctx.weirds.length).toBeGreaterThan(0);
    expect(ctx.weirds.every((x) => ["malformed", "flooded", "too-many-chunks", "message-too-large", "too-many-assemblies"].includes(x.name))).toBe(true);
  });
});
