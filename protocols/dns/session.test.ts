// DNS session: pairing by id, timeouts by packet time, unsolicited responses, the pending cap, TCP length prefixes.
import { describe, expect, it } from "vitest";
import type { EventBase, FlowInfo, SessionContext } from "../../src/core/types.ts";
import type { DnsEvent } from "./events.ts";
import { dnsDissector, dnsTcpDissector } from "./index.ts";
import { DNS_MAX_PENDING, DNS_TIMEOUT_S } from "./session.ts";

const FLOW: FlowInfo = { id: "F1", transport: "udp", client: "10.1.1.10", clientPort: 53000, server: "10.1.1.53", serverPort: 53, clientMac: undefined, serverMac: undefined, vlan: -1, startTs: 100 };

function harness() {
  const events: EventBase[] = [];
  const weird: string[] = [];
  const counts: string[] = [];
  const ctx = { flow: FLOW, frame: 1, ts: 100, emit: (e: EventBase) => events.push(e), count: (n: string) => counts.push(n), weird: (n: string) => weird.push(n), reserve: () => true, release: () => undefined } satisfies SessionContext;
  return { events: events as DnsEvent[], weird, counts, ctx };
}

function query(id: number, name: string, qtype = 1): Uint8Array {
  const labels = name.split(".").flatMap((l) => [l.length, ...Buffer.from(l)]);
  return Uint8Array.from([id >> 8, id & 0xff, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, qtype, 0, 1]);
}

function response(q: Uint8Array, rcode: number): Uint8Array {
  const r = Uint8Array.from(q);
  r[2] = 0x81;
  r[3] = 0x80 | rcode;
  return r;
}

describe("DnsSession", () => {
  it("pairs a query with its response by id and reports the rtt and rcode", () => {
    const h = harness();
    const s = dnsDissector.createSession(FLOW);
    const q1 = query(7, "a.example.com");
    const q2 = query(8, "b.example.com", 16);
    s.onPdu(0, q1, h.ctx);
    s.onPdu(0, q2, { ...h.ctx, ts: 100.1 });
    s.onPdu(1, response(q2, 3), { ...h.ctx, ts: 100.15, frame: 3 });
    s.onPdu(1, response(q1, 0), { ...h.ctx, ts: 100.5, frame: 4 });
    expect(h.events.map((e) => [e.id, e.query, e.qtypeName, e.rcodeName, e.status, e.src, e.dst])).toEqual([
      [8, "b.example.com", "TXT", "NXDOMAIN", "ok", "10.1.1.10", "10.1.1.53"],
      [7, "a.example.com", "A", "NOERROR", "ok", "10.1.1.10", "10.1.1.53"],
    ]);
    expect(h.events[1]?.rtt).toBeCloseTo(0.5);
    expect(h.weird).toEqual([]);
  });

  it("times out unanswered queries by packet time, flushes at end, and reports unsolicited responses", () => {
    const h = harness();
    const s = dnsDissector.createSession(FLOW);
    s.onPdu(0, query(1, "x.example.com"), h.ctx);
    s.onTick?.({ ...h.ctx, ts: 100 + DNS_TIMEOUT_S - 1 });
    expect(h.events).toEqual([]);
    s.onTick?.({ ...h.ctx, ts: 100 + DNS_TIMEOUT_S });
    expect(h.events.map((e) => e.status)).toEqual(["timeout"]);
    s.onPdu(1, response(query(9, "y.example.com"), 0), h.ctx);
    expect(h.events[1]).toMatchObject({ status: "unsolicited", query: "y.example.com", src: "10.1.1.10" });
    s.onPdu(0, query(2, "z.example.com"), h.ctx);
    s.onEnd(h.ctx);
    expect(h.events.map((e) => e.status)).toEqual(["timeout", "unsolicited", "timeout"]);
  });

  it("caps pending queries and says so once", () => {
    const h = harness();
    const s = dnsDissector.createSession(FLOW);
    for (let i = 0; i < DNS_MAX_PENDING + 10; i++) s.onPdu(0, query(i, "q.example.com"), h.ctx);
    expect(h.weird).toEqual(["flooded"]);
    expect(h.counts.filter((c) => c === "dns.pending.flooded").length).toBe(10);
  });

  it("decodes TCP messages after their 2-byte length prefix; framing rejects impossible lengths", () => {
    const h = harness();
    const s = dnsTcpDissector.createSession({ ...FLOW, transport: "tcp" });
    const q = query(5, "tcp.example.com");
    const framed = (m: Uint8Array): Uint8Array => Uint8Array.from([m.length >> 8, m.length & 0xff, ...m]);
    expect(dnsTcpDissector.framing?.pduLength(framed(q).subarray(0, 2))).toBe(q.length + 2);
    expect(dnsTcpDissector.framing?.pduLength(Uint8Array.of(0, 3))).toBe(-1);
    s.onPdu(0, framed(q), h.ctx);
    s.onPdu(1, framed(response(q, 0)), h.ctx);
    expect(h.events.map((e) => [e.transport, e.query, e.status])).toEqual([["tcp", "tcp.example.com", "ok"]]);
  });

  it("probes DNS by content on other ports", () => {
    expect(dnsDissector.probe(query(1, "www.example.com"), 0)).toBe("yes");
    expect(dnsDissector.probe(Buffer.from("\x00\x01random binary payload!!"), 0)).toBe("no");
    const q = query(1, "www.example.com");
    expect(dnsTcpDissector.probe(Uint8Array.from([0, q.length, ...q]), 0)).toBe("yes");
    expect(dnsTcpDissector.probe(Uint8Array.of(0), 0)).toBe("more");
    expect(dnsTcpDissector.probe(Buffer.from("SSH-2.0-OpenSSH_9.2\r\n"), 0)).toBe("no");
  });
});
