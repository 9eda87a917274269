// TLS session: hellos split across records, encrypted traffic ignored, mid-stream pickup, oversize handshake lengths,
// framing and probes.
import { describe, expect, it } from "vitest";
import type { Dir, EventBase, FlowInfo, SessionContext } from "../../src/core/types.ts";
import type { TlsClientHelloEvent, TlsServerHelloEvent } from "./events.ts";
import { tlsDissector } from "./index.ts";

const FLOW: FlowInfo = { id: "F9", transport: "tcp", client: "10.1.1.10", clientPort: 50000, server: "203.0.113.5", serverPort: 443, clientMac: undefined, serverMac: undefined, vlan: -1, startTs: 100 };

const u16 = (v: number): number[] => [v >> 8, v & 0xff];
const record = (type: number, body: number[]): Uint8Array => Uint8Array.from([type, 3, 1, ...u16(body.length), ...body]);
const handshake = (type: number, body: number[]): number[] => [type, 0, ...u16(body.length), ...body];

function helloBody(sni: string): number[] {
  const name = [...Buffer.from(sni)];
  const ext = [...u16(0), ...u16(name.length + 5), ...u16(name.length + 3), 0, ...u16(name.length), ...name];
  return [...u16(0x0303), ...new Array<number>(32).fill(1), 0, ...u16(4), ...u16(0x1301), ...u16(0xc02f), 1, 0, ...u16(ext.length), ...ext];
}

function run(pdus: [Dir, Uint8Array][]): { events: EventBase[]; weird: string[] } {
  const events: EventBase[] = [];
  const weird: string[] = [];
  const ctx: SessionContext = { flow: FLOW, frame: 1, ts: 100, emit: (e) => events.push(e), count: () => undefined, weird: (n) => weird.push(n), reserve: () => true, release: () => undefined };
  const s = tlsDissector.createSession(FLOW);
  for (const [dir, pdu] of pdus) s.onPdu(dir, pdu, ctx);
  s.onEnd(ctx);
  return { events, weird };
}

describe("TlsSession", () => {
  it("reassembles a ClientHello split over two records and decodes the ServerHello", () => {
    const hs = handshake(1, helloBody("scada-vendor.example"));
    const server = handshake(2, [...u16(0x0303), ...new Array<number>(32).fill(2), 0, ...u16(0xc02f), 0]);
    const r = run([
      [0, record(22, hs.slice(0, 20))],
      [0, record(22, hs.slice(20))],
      [1, record(22, server)],
      [0, record(23, [1, 2, 3])],
      [1, record(23, [4, 5, 6])],
    ]);
    expect(r.weird).toEqual([]);
    const ch = r.events[0] as TlsClientHelloEvent;
    const sh = r.events[1] as TlsServerHelloEvent;
    expect([ch.type, ch.sni, ch.recordVersion, ch.cipherSuites, ch.src, ch.dst]).toEqual(["tls.client-hello", "scada-vendor.example", 0x0301, [0x1301, 0xc02f], "10.1.1.10", "203.0.113.5"]);
    expect(ch.ja3).toBe("771,4865-49199,0,,");
    expect([sh.type, sh.cipherSuite, sh.selectedVersion, sh.ja3s]).toEqual(["tls.server-hello", 0xc02f, 0x0303, "771,49199,"]);
    expect(r.events.length).toBe(2);
  });

  it("stays silent on a flow picked up mid-stream and flags impossible handshake lengths", () => {
    expect(run([[0, record(23, [1, 2, 3])], [1, record(23, [1])]]).events).toEqual([]);
    const r = run([[0, record(22, [1, 0x7f, 0xff, 0xff, 0, 0])]]);
    expect(r.weird).toEqual(["bad-length"]);
    expect(run([[0, record(22, handshake(11, [0, 0, 0]))]]).weird).toEqual(["unexpected-handshake"]);
  });

  it("declares record framing and probes hellos by content", () => {
    const f = tlsDissector.framing!;
    expect(f.pduLength(Uint8Array.of(22, 3, 1, 0x02, 0x00))).toBe(517);
    expect(f.pduLength(Uint8Array.of(22, 4, 1, 0, 10))).toBe(-1);
    expect(f.pduLength(Uint8Array.of(99, 3, 3, 0, 10))).toBe(-1);
    expect(f.pduLength(Uint8Array.of(23, 3, 3, 0xff, 0xff))).toBe(-1);
    const hello = record(22, handshake(1, helloBody("x.example")));
    expect(tlsDissector.probe(hello, 0)).toBe("yes");
    expect(tlsDissector.probe(hello, 1)).toBe("no");
    expect(tlsDissector.probe(hello.subarray(0, 3), 0)).toBe("more");
    expect(tlsDissector.probe(Buffer.from("GET / HTTP/1.1\r\n"), 0)).toBe("no");
  });
});
