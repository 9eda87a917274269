// The pipeline-wide session budget (SessionContext.reserve/release, MAX_TOTAL_SESSION_BYTES): sessions draw from one
// budget, refusals are counted, and whatever a session holds comes back when it ends, is detached after an exception,
// or its flow is evicted — even when the session itself never releases anything.
import { describe, expect, it } from "vitest";
import { TCP_ACK, TCP_FIN, TCP_SYN } from "../core/types.ts";
import { Pipeline } from "../pipeline.ts";
import { newToyLog, packet, toyDissector, toyPdu } from "./fixtures.ts";

const C = "10.1.0.1";
const S = "10.1.0.2";

/** A client sending `bodies` on a new connection to port 7000 (one PDU per segment), optionally closing it with FIN. */
function send(p: Pipeline, sport: number, bodies: string[], ts: number, fin = false): void {
  let seq = 1000;
  p.handlePacket(packet({ src: C, dst: S, sport, dport: 7000, ts, flags: TCP_SYN, seq: seq - 1 }));
  for (const b of bodies) {
    const pdu = toyPdu(b);
    p.handlePacket(packet({ src: C, dst: S, sport, dport: 7000, ts, flags: 0x18, seq, ack: 1, payload: pdu }));
    seq += pdu.length;
  }
  if (fin) {
    p.handlePacket(packet({ src: C, dst: S, sport, dport: 7000, ts, flags: TCP_FIN | TCP_ACK, seq, ack: 1 }));
    p.handlePacket(packet({ src: S, dst: C, sport: 7000, dport: sport, ts, flags: TCP_FIN | TCP_ACK, seq: 1, ack: seq + 1 }));
  }
}

describe("session budget", () => {
  it("is shared by all flows, refuses beyond its size (counted), and comes back when flows end", () => {
    const log = newToyLog();
    const p = new Pipeline({
      dissectors: [toyDissector(log, { reserve: 100 })], onEvent: () => undefined, limits: { maxTotalSessionBytes: 1000 },
    });
    send(p, 40000, ["a", "b", "c", "d"], 1);
    send(p, 40001, ["e", "f", "g", "h", "i", "j", "k"], 1);
    expect(p.sessionBytes).toBe(1000);
    expect(log.refused).toBe(1);
    expect(p.counters.get("budget.session.refused")).toBe(1);
    send(p, 40000, [], 2, true);
    expect(p.sessionBytes).toBe(600);
    p.advance(3);
    expect(p.counters.get("budget.session.bytes")).toBe(600);
    p.finish();
    expect(p.sessionBytes).toBe(0);
    expect(p.counters.get("budget.session.bytes")).toBe(0);
  });

  it("is given back for a session detached after an exception and for a flow evicted at the flow cap", () => {
    const log = newToyLog();
    const p = new Pipeline({
      dissectors: [toyDissector(log, { reserve: 100, throwOn: "boom" })], onEvent: () => undefined, limits: { maxFlows: 2 },
    });
    send(p, 40000, ["a", "b", "boom"], 1);
    expect(p.counters.get("internal.toy.exception")).toBe(1);
    expect(p.sessionBytes).toBe(0);
    send(p, 40001, ["a", "b"], 2);
    send(p, 40002, ["a"], 3);
    expect(p.sessionBytes).toBe(300);
    send(p, 40003, ["a"], 4);
    expect(p.counters.get("flow.evicted")).toBeGreaterThan(0);
    expect(p.sessionBytes).toBe(200);
    p.finish();
    expect(p.sessionBytes).toBe(0);
  });
});
