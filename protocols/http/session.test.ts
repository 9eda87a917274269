// HTTP/1.x session: heads split across segments, Content-Length and chunked bodies (chunk lines split too), pipelining,
// 100-continue, HEAD/204/304 without bodies, responses until close, gaps, bounded head size, the pending cap, probes.
import { describe, expect, it } from "vitest";
import type { Dir, EventBase, FlowInfo, SessionContext } from "../../src/core/types.ts";
import type { HttpEvent } from "./events.ts";
import { httpDissector } from "./index.ts";
import { HTTP_MAX_PENDING } from "./session.ts";
import { parseHead } from "./wire.ts";

const FLOW: FlowInfo = { id: "F1", transport: "tcp", client: "10.1.1.10", clientPort: 50000, server: "10.1.1.80", serverPort: 80, clientMac: undefined, serverMac: undefined, vlan: -1, startTs: 100 };

function run(chunks: [Dir, string][]): { events: HttpEvent[]; weird: string[] } {
  const events: EventBase[] = [];
  const weird: string[] = [];
  const ctx: SessionContext = { flow: FLOW, frame: 1, ts: 100, emit: (e) => events.push(e), count: () => undefined, weird: (n) => weird.push(n), reserve: () => true, release: () => undefined };
  const s = httpDissector.createSession(FLOW);
  for (const [dir, text] of chunks) s.onPdu(dir, Buffer.from(text, "latin1"), ctx);
  s.onEnd(ctx);
  return { events: events as HttpEvent[], weird };
}

describe("HttpSession", () => {
  it("reassembles heads split mid-line and counts Content-Length and chunked bodies split anywhere", () => {
    const body = "x".repeat(1000);
    const r = run([
      [0, "POST /api/upl"],
      [0, "oad HTTP/1.1\r\nHost: Historian.Plant:8080\r\nUser-Agent: agent/2\r\nContent-Le"],
      [0, `ngth: 1000\r\n\r\n${body.slice(0, 300)}`],
      [0, body.slice(300)],
      [1, "HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n"],
      [0, "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1"],
      [0, "f;ext=1\r\n" + "y".repeat(31) + "\r\n0\r"],
      [0, "\n\r\n"],
      [1, "HTTP/1.1 204 No Content\r\n\r\n"],
    ]);
    expect(r.weird).toEqual([]);
    expect(r.events.map((e) => [e.method, e.uri, e.host, e.userAgent, e.requestContentLength, e.requestBodyBytes, e.statusCode, e.reason])).toEqual([
      ["POST", "/api/upload", "historian.plant:8080", "agent/2", 1000, 1000, 201, "Created"],
      ["PUT", "/c", "h", "", -1, 31, 204, "No Content"],
    ]);
  });

  it("pairs pipelined requests in order, skips 100-continue, knows HEAD/304 have no body and reads to close otherwise", () => {
    const r = run([
      [0, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nHEAD /2 HTTP/1.1\r\nHost: a\r\n\r\nGET /3 HTTP/1.1\r\nHost: a\r\n\r\nPOST /4 HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"],
      [1, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\nHTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n"],
      [1, "HTTP/1.1 100 Continue\r\n\r\n"],
      [0, "abc"],
      [1, "HTTP/1.0 200 OK\r\n\r\nbody until the server closes, HTTP/1.1 200 OK is just text here"],
    ]);
    expect(r.events.map((e) => `${e.method} ${e.uri} ${e.statusCode} ${e.status}`)).toEqual(["GET /1 200 ok", "HEAD /2 200 ok", "GET /3 304 ok", "POST /4 200 ok"]);
    expect(r.events[3]?.requestBodyBytes).toBe(3);
    expect(r.weird).toEqual([]);
  });

  it("pairs a 101 upgrade and ignores the upgraded stream in both directions", () => {
    const r = run([
      [0, "GET /ws HTTP/1.1\r\nHost: hmi\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"],
      [1, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"],
      [0, "\x81\x85abcdGET / HTTP/1.1\r\n\r\n"],
    ]);
    expect(r.events.map((e) => `${e.uri} ${e.statusCode} ${e.status}`)).toEqual(["/ws 101 ok"]);
    expect(r.weird).toEqual([]);
  });

  it("reports requests without a response at the end and responses without a request", () => {
    const r = run([[1, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"], [0, "GET /late HTTP/1.1\r\nHost: b\r\n\r\n"]]);
    expect(r.events.map((e) => `${e.status} ${e.uri} ${e.statusCode}`)).toEqual(["unsolicited  200", "no-response /late 0"]);
  });

  it("survives garbage, over-long heads and gaps, resynchronising on the next message", () => {
    const events: EventBase[] = [];
    const weird: string[] = [];
    const ctx: SessionContext = { flow: FLOW, frame: 1, ts: 100, emit: (e) => events.push(e), count: () => undefined, weird: (n) => weird.push(n), reserve: () => true, release: () => undefined };
    const s = httpDissector.createSession(FLOW);
    s.onPdu(0, Buffer.from("\x16\x03\x01 not http at all\r\n\r\n"), ctx);
    s.onPdu(0, Buffer.from("GET / HTTP/1.1\r\nX: " + "a".repeat(20000)), ctx);
    s.onGap?.(0, 1000, ctx);
    s.onPdu(0, Buffer.from("GET /again HTTP/1.1\r\nHost: c\r\n\r\n"), ctx);
    s.onPdu(1, Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"), ctx);
    s.onEnd(ctx);
    expect(weird).toEqual(["malformed", "head-too-long", "bad-chunk"]);
    expect((events as HttpEvent[]).map((e) => `${e.uri} ${e.statusCode}`)).toEqual(["/again 200"]);
  });

  it("caps pipelined requests awaiting a response", () => {
    const many = Array.from({ length: HTTP_MAX_PENDING + 5 }, (_, i) => `GET /${i} HTTP/1.1\r\n\r\n`).join("");
    const r = run([[0, many]]);
    expect(r.events.length).toBe(HTTP_MAX_PENDING + 5);
    expect(r.events.every((e) => e.status === "no-response")).toBe(true);
    expect(r.events[0]?.uri).toBe("/0");
  });

  it("probes requests and responses by content", () => {
    expect(httpDissector.probe(Buffer.from("GET / HTTP/1.1\r\n"), 0)).toBe("yes");
    expect(httpDissector.probe(Buffer.from("PO"), 0)).toBe("more");
    expect(httpDissector.probe(Buffer.from("HTTP/1.1 200 OK"), 1)).toBe("yes");
    expect(httpDissector.probe(Buffer.from("SSH-2.0-x"), 0)).toBe("no");
    expect(httpDissector.probe(Uint8Array.of(0x16, 3, 1, 0, 5), 0)).toBe("no");
  });

  it("never throws on random and mutated streams", () => {
    let seed = 7;
    const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const base = Buffer.from("POST /a HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    for (let i = 0; i < 2000; i++) {
      const m = Uint8Array.from(base);
      for (let k = 0; k < 1 + Math.floor(rnd() * 8); k++) m[Math.floor(rnd() * m.length)] = Math.floor(rnd() * 256);
      const cut = Math.floor(rnd() * m.length);
      expect(() => run([[0, Buffer.from(m.subarray(0, cut)).toString("latin1")], [1, Buffer.from(m.subarray(cut)).toString("latin1")], [0, "GET / HTTP/1.1\r\n\r\n"]])).not.toThrow();
    }
  });

  it("parses heads leniently and flags oddities", () => {
    const h = parseHead(Buffer.from("FOO /x HTTP/1.1\nbad header line\nContent-Length: 12a\n\n"));
    expect(h?.issues).toEqual(["unknown-method", "bad-header", "bad-content-length"]);
    expect(h?.contentLength).toBe(-1);
    expect(parseHead(Buffer.from("hello world\r\n\r\n"))).toBeUndefined();
  });
});
