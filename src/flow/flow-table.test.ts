// Flow table: roles (SYN, SYN-ACK, mid-stream by registered port / lower port), handshake outcome (established,
// rejected by RST, half-open timeout), FIN/RST close with a tombstone, idle expiry by packet time, cap with eviction.
import { describe, expect, it } from "vitest";
import { Counters } from "../core/counters.ts";
import type { EventBase, FlowEndEvent, FlowStartEvent } from "../core/types.ts";
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN } from "../core/types.ts";
import { FlowTable } from "./flow-table.ts";
import type { FlowLimits } from "./flow.ts";
import { packet } from "./fixtures.ts";

function setup(limits: Partial<FlowLimits> = {}, serverPorts: number[] = [502]) {
  const events: EventBase[] = [];
  const counters = new Counters();
  const ended: string[] = [];
  const table = new FlowTable<undefined>({
    counters,
    limits,
    emit: (e) => events.push(e),
    isServerPort: (_t, p) => serverPorts.includes(p),
    serviceByPort: (_t, p) => (serverPorts.includes(p) ? "svc" : undefined),
    onEnd: (f) => ended.push(f.info.id),
  });
  const starts = () => events.filter((e): e is FlowStartEvent => e.type === "flow.start");
  const ends = () => events.filter((e): e is FlowEndEvent => e.type === "flow.end");
  return { table, events, counters, ended, starts, ends };
}

const C = "10.0.0.1";
const S = "10.0.0.2";

describe("FlowTable roles", () => {
  it("makes the SYN sender the client and counts both directions", () => {
    const { table, starts, ends } = setup();
    const f = table.track(packet({ src: C, dst: S, sport: 40000, dport: 8080, ts: 1, flags: TCP_SYN }));
    expect(table.dir).toBe(0);
    table.track(packet({ src: S, dst: C, sport: 8080, dport: 40000, ts: 1.1, flags: TCP_SYN | TCP_ACK }));
    expect(table.dir).toBe(1);
    table.track(packet({ src: C, dst: S, sport: 40000, dport: 8080, ts: 1.2, flags: TCP_ACK, payload: "hi" }));
    expect(f?.info).toMatchObject({ id: "F0", client: C, clientPort: 40000, server: S, serverPort: 8080, transport: "tcp" });
    expect(f?.pkts).toEqual([2, 1]);
    expect(starts()[0]).toMatchObject({ src: C, dst: S, sport: 40000, dport: 8080, midstream: false, ts: 1 });
    table.finish(5);
    expect(ends()[0]).toMatchObject({ reason: "eof", established: true, rejected: false, pktsToServer: 2, pktsToClient: 1, bytesToServer: 40 + 42, duration: 0.2 });
  });

  it("makes the SYN-ACK sender the server when the SYN was not captured", () => {
    const { table } = setup();
    const f = table.track(packet({ src: S, dst: C, sport: 8080, dport: 40000, ts: 1, flags: TCP_SYN | TCP_ACK }));
    expect(f?.info.server).toBe(S);
    expect(table.dir).toBe(1);
  });

  it("mid-stream: a registered dissector port is the server even when it is the higher port", () => {
    const { table, starts } = setup({}, [20000]);
    const f = table.track(packet({ src: S, dst: C, sport: 20000, dport: 1500, ts: 1, flags: TCP_ACK | 0x08, payload: "x" }));
    expect(f?.info).toMatchObject({ server: S, serverPort: 20000, client: C, clientPort: 1500 });
    expect(starts()[0]).toMatchObject({ midstream: true, service: "svc" });
  });

  it("mid-stream without a registered port: the lower port is the server", () => {
    const { table } = setup();
    const f = table.track(packet({ src: C, dst: S, sport: 50000, dport: 4711, ts: 1, flags: TCP_ACK, payload: "x" }));
    expect(f?.info).toMatchObject({ server: S, serverPort: 4711 });
    const g = table.track(packet({ src: S, dst: C, sport: 4712, dport: 50001, ts: 1, flags: TCP_ACK, payload: "x" }));
    expect(g?.info).toMatchObject({ server: S, serverPort: 4712 });
    expect(table.dir).toBe(1);
  });

  it("assigns deterministic base-36 ids", () => {
    const { table } = setup();
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(table.track(packet({ src: C, dst: S, sport: 30000 + i, dport: 80, ts: 1, flags: TCP_SYN }))?.info.id ?? "");
    expect(ids.slice(0, 3)).toEqual(["F0", "F1", "F2"]);
    expect(ids[36]).toBe("F10");
  });
});

describe("FlowTable close and expiry", () => {
  it("marks a SYN answered by RST as rejected and ends it at once", () => {
    const { table, ends } = setup();
    const f = table.track(packet({ src: C, dst: S, sport: 40000, dport: 23, ts: 1, flags: TCP_SYN }));
    table.track(packet({ src: S, dst: C, sport: 23, dport: 40000, ts: 1.001, flags: TCP_RST | TCP_ACK }));
    expect(f?.closing).toBe("rst");
    if (f) table.end(f, "rst", 1.001);
    expect(ends()[0]).toMatchObject({ reason: "rst", rejected: true, established: false });
  });

  it("ends a SYN nobody answered after the half-open timeout, by packet time", () => {
    const { table, ends, counters } = setup({ tcpHalfOpenTimeout: 30 });
    table.track(packet({ src: C, dst: S, sport: 40000, dport: 23, ts: 100, flags: TCP_SYN }));
    table.expire(129);
    expect(ends()).toHaveLength(0);
    table.expire(131);
    expect(ends()[0]).toMatchObject({ reason: "idle", rejected: true, ts: 131 });
    expect(counters.get("flow.expired.idle")).toBe(1);
    expect(counters.get("flow.active")).toBe(0);
  });

  it("expires idle UDP and TCP flows by their own timeouts", () => {
    const { table, ends } = setup({ udpIdleTimeout: 60, tcpIdleTimeout: 300 });
    table.track(packet({ src: C, dst: S, sport: 5000, dport: 53, ts: 10, proto: 17, payload: "q" }));
    table.track(packet({ src: C, dst: S, sport: 40000, dport: 502, ts: 10, flags: TCP_ACK, payload: "m" }));
    table.expire(71);
    expect(ends().map((e) => e.transport)).toEqual(["udp"]);
    table.expire(311);
    expect(ends().map((e) => e.transport)).toEqual(["udp", "tcp"]);
    expect(table.size).toBe(0);
  });

  it("a packet keeps its flow alive", () => {
    const { table, ends } = setup({ tcpIdleTimeout: 300 });
    table.track(packet({ src: C, dst: S, sport: 40000, dport: 502, ts: 0, flags: TCP_ACK, payload: "m" }));
    table.track(packet({ src: S, dst: C, sport: 502, dport: 40000, ts: 200, flags: TCP_ACK, payload: "r" }));
    table.expire(400);
    expect(ends()).toHaveLength(0);
    table.expire(501);
    expect(ends()).toHaveLength(1);
  });

  it("closes on the second FIN and absorbs the trailing ACK as a tombstone", () => {
    const { table, ends, counters, starts } = setup();
    const f = table.track(packet({ src: C, dst: S, sport: 40000, dport: 502, ts: 1, flags: TCP_SYN }));
    table.track(packet({ src: S, dst: C, sport: 502, dport: 40000, ts: 1, flags: TCP_SYN | TCP_ACK }));
    table.track(packet({ src: C, dst: S, sport: 40000, dport: 502, ts: 2, flags: TCP_FIN | TCP_ACK }));
    expect(f?.closing).toBeUndefined();
    table.track(packet({ src: S, dst: C, sport: 502, dport: 40000, ts: 2, flags: TCP_FIN | TCP_ACK }));
    expect(f?.closing).toBe("fin");
    if (f) table.end(f, "fin", 2);
    expect(table.track(packet({ src: C, dst: S, sport: 40000, dport: 502, ts: 2.1, flags: TCP_ACK }))).toBeUndefined();
    expect(counters.get("flow.tcp.after-close")).toBe(1);
    // Port reuse: a new SYN on the same tuple opens a new flow.
    const g = table.track(packet({ src: C, dst: S, sport: 40000, dport: 502, ts: 3, flags: TCP_SYN }));
    expect(g?.info.id).toBe("F1");
    expect(ends()).toHaveLength(1);
    expect(starts()).toHaveLength(2);
  });

  it("ignores an RST for a flow it does not know", () => {
    const { table, counters, events } = setup();
    expect(table.track(packet({ src: S, dst: C, sport: 80, dport: 40000, ts: 1, flags: TCP_RST }))).toBeUndefined();
    expect(counters.get("flow.tcp.orphan-rst")).toBe(1);
    expect(events).toHaveLength(0);
  });

  it("evicts the least recently active flow at the cap and counts it", () => {
    const { table, ends, counters } = setup({ maxFlows: 3 });
    for (let i = 0; i < 3; i++) table.track(packet({ src: C, dst: S, sport: 40000 + i, dport: 502, ts: i, flags: TCP_ACK, payload: "x" }));
    // Flow 0 becomes the most recent; flow 1 is now the least recently active.
    table.track(packet({ src: S, dst: C, sport: 502, dport: 40000, ts: 5, flags: TCP_ACK, payload: "y" }));
    table.track(packet({ src: C, dst: S, sport: 40009, dport: 502, ts: 6, flags: TCP_ACK, payload: "z" }));
    expect(ends()).toHaveLength(1);
    expect(ends()[0]).toMatchObject({ reason: "evicted", sport: 40001 });
    expect(counters.get("flow.evicted")).toBe(1);
    expect(table.size).toBe(3);
    expect(counters.get("flow.active")).toBe(3);
  });
});

describe("FlowTable one-sided captures", () => {
  it("does not call a SYN followed by client data rejected (only one direction captured)", () => {
    const { table, ends } = setup({ tcpHalfOpenTimeout: 30, tcpIdleTimeout: 300 });
    table.track(packet({ src: C, dst: S, sport: 40000, dport: 502, ts: 0, flags: TCP_SYN }));
    table.track(packet({ src: C, dst: S, sport: 40000, dport: 502, ts: 1, flags: TCP_ACK | 0x08, payload: "req" }));
    table.track(packet({ src: C, dst: S, sport: 40000, dport: 502, ts: 2, flags: TCP_ACK }));
    table.expire(100);
    expect(ends()).toHaveLength(0);
    table.expire(303);
    expect(ends()[0]).toMatchObject({ reason: "idle", rejected: false, established: false });
  });
});
