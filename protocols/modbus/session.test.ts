// Session behaviour: pairing by (unit, tid), interleaved transactions, timeouts by packet time, unsolicited responses,
// the pending-request bound, protocol id ≠ 0 and malformed PDUs as weird events.
import { describe, expect, it } from "vitest";
import type { Dir, EventBase, FlowInfo, SessionContext, WeirdEvent } from "../../src/core/types.ts";
import { MODBUS_MAX_PENDING, MODBUS_TRANSACTION_TIMEOUT_S } from "./constants.ts";
import type { ModbusTransactionEvent } from "./events.ts";
import { adu } from "./fixtures.ts";
import { ModbusSession } from "./session.ts";

const FLOW: FlowInfo = {
  id: "F1",
  transport: "tcp",
  client: "10.0.0.1",
  clientPort: 40000,
  server: "10.0.0.2",
  serverPort: 502,
  clientMac: undefined,
  serverMac: undefined,
  vlan: -1,
  startTs: 100,
};

/** A recording SessionContext driven by the test's own frame numbers and packet times. */
class Recorder implements SessionContext {
  readonly flow = FLOW;
  frame = 0;
  ts = 100;
  readonly events: ModbusTransactionEvent[] = [];
  readonly weirds: WeirdEvent[] = [];
  readonly counters = new Map<string, number>();
  emit(event: EventBase): void {
    this.events.push(event as ModbusTransactionEvent);
  }
  count(name: string, n = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + n);
  }
  weird(name: string, detail: string, _dir?: Dir): void {
    this.weirds.push({ type: "weird", proto: "modbus", name, detail, ts: this.ts, frame: this.frame, flow: FLOW.id, src: FLOW.client, sport: FLOW.clientPort, dst: FLOW.server, dport: FLOW.serverPort });
  }
  /** Session budget: `budget` bytes may be reserved, `held` is what the session holds now. */
  budget = Infinity;
  held = 0;
  reserve(bytes: number): boolean {
    if (this.held + bytes > this.budget) return false;
    this.held += bytes;
    return true;
  }
  release(bytes: number): void {
    this.held -= bytes;
  }
  at(frame: number, ts: number): this {
    this.frame = frame;
    this.ts = ts;
    return this;
  }
}

function setup(): { s: ModbusSession; ctx: Recorder } {
  return { s: new ModbusSession(FLOW), ctx: new Recorder() };
}

describe("ModbusSession pairing", () => {
  it("pairs a request with its response and carries both frames", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(1, 17, "01 0013 0013"), ctx.at(1, 100));
    s.onPdu(1, adu(1, 17, "01 03 cd6b05"), ctx.at(2, 100.25));
    expect(ctx.events).toHaveLength(1);
    const e = ctx.events[0]!;
    expect(e).toMatchObject({ type: "modbus", status: "ok", tid: 1, unit: 17, fc: 1, fcName: "read-coils", frame: 1, flow: "F1" });
    expect(e).toMatchObject({ src: "10.0.0.1", sport: 40000, dst: "10.0.0.2", dport: 502 });
    expect(e.rtt).toBeCloseTo(0.25);
    expect(e.request?.frame).toBe(1);
    expect(e.response?.frame).toBe(2);
    // The paired request's quantity (19) fixes the number of coils in the response.
    expect(e.response?.values).toHaveLength(19);
    expect(ctx.weirds).toEqual([]);
  });

  it("pairs interleaved transactions by (unit, tid), whatever the answer order", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(10, 1, "03 0000 0001"), ctx.at(1, 100));
    s.onPdu(0, adu(11, 1, "03 0010 0002"), ctx.at(2, 100));
    s.onPdu(0, adu(10, 2, "04 0020 0001"), ctx.at(3, 100));
    s.onPdu(1, adu(10, 2, "04 02 0007"), ctx.at(4, 100.1));
    s.onPdu(1, adu(11, 1, "03 04 0001 0002"), ctx.at(5, 100.2));
    s.onPdu(1, adu(10, 1, "03 02 0009"), ctx.at(6, 100.3));
    expect(ctx.events.map((e) => [e.tid, e.unit, e.request?.address, e.response?.values])).toEqual([
      [10, 2, 32, [7]],
      [11, 1, 16, [1, 2]],
      [10, 1, 0, [9]],
    ]);
    expect(ctx.weirds).toEqual([]);
  });

  it("orients itself by port 502 when the server opened the TCP connection", () => {
    const flow: FlowInfo = { ...FLOW, client: "10.0.0.8", clientPort: 502, server: "10.0.0.57", serverPort: 4446 };
    const s = new ModbusSession(flow);
    const ctx = new Recorder();
    s.onPdu(1, adu(1, 10, "01 0000 0008"), ctx.at(1, 100));
    s.onPdu(0, adu(1, 10, "01 01 ff"), ctx.at(2, 100.1));
    expect(ctx.events[0]).toMatchObject({ status: "ok", src: "10.0.0.57", sport: 4446, dst: "10.0.0.8", dport: 502 });
    expect(ctx.events[0]?.response?.values).toEqual([1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it("reports exception responses with their code", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(3, 1, "01 04a1 0001"), ctx.at(1, 100));
    s.onPdu(1, adu(3, 1, "81 02"), ctx.at(2, 100.01));
    expect(ctx.events[0]).toMatchObject({ status: "exception", fc: 1, exception: 2 });
  });
});

describe("ModbusSession timeouts and end of flow", () => {
  it("times out by packet time in onTick, not before", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(1, 1, "03 0000 0001"), ctx.at(1, 100));
    s.onPdu(0, adu(2, 1, "03 0000 0001"), ctx.at(2, 105));
    s.onTick(ctx.at(3, 100 + MODBUS_TRANSACTION_TIMEOUT_S - 0.5));
    expect(ctx.events).toEqual([]);
    s.onTick(ctx.at(3, 100 + MODBUS_TRANSACTION_TIMEOUT_S + 0.5));
    expect(ctx.events.map((e) => [e.status, e.tid, e.frame])).toEqual([["timeout", 1, 1]]);
    expect(ctx.events[0]?.response).toBeUndefined();
    // A late response to the timed-out request is now unsolicited.
    s.onPdu(1, adu(1, 1, "03 02 0001"), ctx.at(4, 111));
    expect(ctx.events[1]).toMatchObject({ status: "unsolicited", tid: 1, frame: 4 });
    s.onEnd(ctx.at(5, 112));
    expect(ctx.events.map((e) => e.status)).toEqual(["timeout", "unsolicited", "timeout"]);
  });

  it("a repeated (unit, tid) before an answer retires the older request as a timeout", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(0, 1, "03 0000 0001"), ctx.at(1, 100));
    s.onPdu(0, adu(0, 1, "03 0005 0001"), ctx.at(2, 101));
    s.onPdu(1, adu(0, 1, "03 02 0001"), ctx.at(3, 101.1));
    expect(ctx.events.map((e) => [e.status, e.request?.address])).toEqual([
      ["timeout", 0],
      ["ok", 5],
    ]);
    expect(ctx.counters.get("modbus.pending.superseded")).toBe(1);
  });
});

describe("ModbusSession anomalies", () => {
  it("responses in the first seconds of a flow, before any pairing, are counted as a mid-stream pickup", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(0, 1, "03 0000 0001"), ctx.at(1, FLOW.startTs));
    s.onPdu(1, adu(9, 1, "03 02 0001"), ctx.at(2, FLOW.startTs + 0.5));
    expect(ctx.events[0]?.status).toBe("unsolicited");
    expect(ctx.weirds).toEqual([]);
    expect(ctx.counters.get("modbus.unsolicited.midstream")).toBe(1);
    // Long after the flow started, the same situation is weird.
    const late = new ModbusSession(FLOW);
    late.onPdu(1, adu(9, 1, "03 02 0001"), ctx.at(3, FLOW.startTs + MODBUS_TRANSACTION_TIMEOUT_S + 1));
    expect(ctx.weirds.map((w) => w.name)).toEqual(["unsolicited-response"]);
  });

  it("unsolicited response: event and weird", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(8, 1, "03 0000 0001"), ctx.at(1, 100));
    s.onPdu(1, adu(8, 1, "03 02 0007"), ctx.at(2, 100));
    s.onPdu(1, adu(9, 1, "03 02 0001"), ctx.at(3, 100));
    expect(ctx.events[1]).toMatchObject({ status: "unsolicited", tid: 9, frame: 3, response: { values: [1] } });
    expect(ctx.events[1]?.request).toBeUndefined();
    expect(ctx.weirds.map((w) => w.name)).toEqual(["unsolicited-response"]);
  });

  it("after a gap in the request direction, unanswerable responses are counted, not weird", () => {
    const { s, ctx } = setup();
    s.onGap(0, 100, ctx.at(1, 100));
    s.onPdu(1, adu(9, 1, "03 02 0001"), ctx.at(2, 100));
    expect(ctx.events[0]?.status).toBe("unsolicited");
    expect(ctx.weirds).toEqual([]);
    expect(ctx.counters.get("modbus.unsolicited.after-gap")).toBe(1);
  });

  it("flood: at most MODBUS_MAX_PENDING pending, one `flooded` weird, every request still reported", () => {
    const { s, ctx } = setup();
    const total = MODBUS_MAX_PENDING + 50;
    for (let i = 0; i < total; i++) s.onPdu(0, adu(i, 1, "06 0001 0003"), ctx.at(i + 1, 100));
    expect(ctx.weirds.map((w) => w.name)).toEqual(["flooded"]);
    expect(ctx.counters.get("modbus.pending.flooded")).toBe(50);
    // The 50 oldest were given up as timeouts; the newest are still pairable.
    expect(ctx.events.map((e) => e.tid)).toEqual([...Array(50).keys()]);
    s.onPdu(1, adu(total - 1, 1, "06 0001 0003"), ctx.at(total + 1, 100.1));
    expect(ctx.events.at(-1)).toMatchObject({ status: "ok", tid: total - 1 });
    s.onEnd(ctx.at(total + 2, 101));
    expect(ctx.events).toHaveLength(total);
  });

  it("protocol id ≠ 0: weird `protocol-id`, PDU still decoded and paired", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(1, 1, "03 0000 0002", 7), ctx.at(1, 100));
    s.onPdu(1, adu(1, 1, "03 04 0001 0002", 7), ctx.at(2, 100));
    expect(ctx.weirds.map((w) => [w.name, w.detail])).toEqual([
      ["protocol-id", "protocol id 7"],
      ["protocol-id", "protocol id 7"],
    ]);
    expect(ctx.events[0]).toMatchObject({ status: "ok", response: { protocolId: 7, values: [1, 2] } });
  });

  it("malformed PDU: weird `malformed` naming the issue, event still emitted", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(1, 1, "10 0001 0003 04 000a 0102"), ctx.at(1, 100));
    expect(ctx.weirds.map((w) => [w.name, w.detail])).toEqual([["malformed", "fc 16 tid 1: byte-count-mismatch"]]);
    s.onPdu(1, adu(1, 1, "10 0001 0003"), ctx.at(2, 100));
    expect(ctx.events[0]).toMatchObject({ status: "ok", request: { values: [10, 258], issues: ["byte-count-mismatch"] } });
  });

  it("vendor function code 90 is paired and surfaced with its bytes", () => {
    const { s, ctx } = setup();
    s.onPdu(0, adu(5, 0, "5a 00 02"), ctx.at(1, 100));
    s.onPdu(1, adu(5, 0, "5a 00 fe 0102"), ctx.at(2, 100));
    expect(ctx.events[0]).toMatchObject({ fc: 90, fcName: "schneider-umas", request: { data: "0002" }, response: { data: "00fe0102" } });
  });

  it("random and mutated ADUs in both directions never throw; every request comes out exactly once", () => {
    const { s, ctx } = setup();
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    const base = [adu(1, 1, "03 0000 000a"), adu(2, 1, "01 0010 0013"), adu(3, 2, "10 0001 0002 04 000a 0102"), adu(4, 1, "2b 0e 01 00")];
    let requests = 0;
    for (let i = 0; i < 20000; i++) {
      const b = new Uint8Array(base[i % base.length]!.subarray(0, 1 + (rand() % 17)));
      for (let k = rand() % 4; k > 0; k--) {
        const at = rand() % b.length;
        b[at] = b[at]! ^ (1 << (rand() & 7));
      }
      const dir = (rand() & 1) as 0 | 1;
      if (dir === 0) requests++;
      expect(() => s.onPdu(dir, b, ctx.at(i + 1, 100 + i / 100))).not.toThrow();
      if (i % 100 === 0) s.onTick(ctx);
    }
    s.onEnd(ctx.at(20001, 400));
    // Each request is reported once: paired (ok/exception), superseded, flooded out or timed out.
    expect(ctx.events.filter((e) => e.request !== undefined)).toHaveLength(requests);
  });
});
