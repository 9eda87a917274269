// Conformance of the DNS, HTTP/1.x and TLS dissectors against tshark 4.0: real exchanges between Node's own resolver
// (c-ares), HTTP client/server and TLS (OpenSSL) client/server on loopback are recorded, written into a pcap with
// plant-like addresses, decoded by tshark, and compared field by field with the events our sessions emit.

import { execFileSync } from "node:child_process";
import { promises as dnsp } from "node:dns";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect as tlsConnect, createServer as createTlsServer } from "node:tls";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EventBase } from "../../src/core/types.ts";
import type { DnsEvent, HttpEvent, TlsClientHelloEvent, TlsServerHelloEvent } from "../../src/detect/behaviour/types.ts";
import { dnsDissector, dnsTcpDissector } from "../../protocols/dns/index.ts";
import { httpDissector } from "../../protocols/http/index.ts";
import { tlsDissector } from "../../protocols/tls/index.ts";
import { concat, u16, u32 } from "../fixtures/capture-builder.ts";
import { pcapBytes, pipelineEvents, recordTcp, recordUdp, replay, tsharkFields, type Conversation } from "./it-exchanges.ts";

const CLIENT = "10.20.0.15";
const SERVER = "10.20.0.53";
let dir = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "otwatch-it-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Answers a query by type, each record's owner name a compression pointer to the question (offset 12). */
function answerDns(q: Uint8Array): Uint8Array {
  let p = 12;
  while ((q[p] ?? 0) !== 0) p += (q[p] ?? 0) + 1;
  const qtype = ((q[p + 1] ?? 0) << 8) | (q[p + 2] ?? 0);
  const question = q.subarray(12, p + 5);
  const rr = (type: number, rdata: Uint8Array): Uint8Array => concat(u16(0xc00c), u16(type), u16(1), u32(300), u16(rdata.length), rdata);
  const name = (labels: string[]): Uint8Array => concat(...labels.map((l) => concat(Uint8Array.of(l.length), Buffer.from(l))), Uint8Array.of(0));
  let answers: Uint8Array[] = [];
  let rcode = 0;
  const qname = Buffer.from(question).toString("latin1");
  if (qname.includes("missing")) rcode = 3;
  else if (qtype === 1) answers = [rr(1, Uint8Array.of(192, 0, 2, 10)), rr(1, Uint8Array.of(192, 0, 2, 11))];
  else if (qtype === 28) answers = [rr(28, Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1))];
  else if (qtype === 16) answers = [rr(16, concat(Uint8Array.of(11), Buffer.from("v=spf1 -all")))];
  else if (qtype === 15) answers = [rr(15, concat(u16(10), name(["mail"]).subarray(0, 5), u16(0xc00c)))];
  else if (qtype === 5) answers = [rr(5, name(["edge", "example", "net"]))];
  const flags = 0x8180 | rcode;
  return concat(q.subarray(0, 2), u16(flags), u16(1), u16(answers.length), u16(0), u16(0), question, ...answers);
}

function writeCapture(name: string, convs: Conversation[]): string {
  const path = join(dir, name);
  writeFileSync(path, pcapBytes(convs));
  return path;
}

describe("DNS against tshark", () => {
  it("decodes c-ares queries and hand-built compressed answers like tshark (UDP and TCP)", async () => {
    const names = ["plc-gw.example.com", "historian.corp.example.org", "aGVsbG8gd29ybGQ0.tunnel.example.net", "missing.example.com", "mx.example.com", "alias.example.com"];
    const chunks = await recordUdp(answerDns, async (port) => {
      const r = new dnsp.Resolver({ timeout: 2000, tries: 1 });
      r.setServers([`127.0.0.1:${port}`]);
      expect(await r.resolve4(names[0]!)).toEqual(["192.0.2.10", "192.0.2.11"]);
      expect(await r.resolve6(names[1]!)).toEqual(["2001:db8::1"]);
      expect(await r.resolveTxt(names[2]!)).toEqual([["v=spf1 -all"]]);
      await expect(r.resolve4(names[3]!)).rejects.toThrow();
      expect((await r.resolveMx(names[4]!))[0]?.exchange).toBe("mail.mx.example.com");
      expect(await r.resolveCname(names[5]!)).toEqual(["edge.example.net"]);
    });
    const udp: Conversation = { transport: "udp", client: CLIENT, server: SERVER, sport: 40001, dport: 53, chunks };
    // The same messages over TCP, each with its 2-byte length prefix, split across segments by the builder.
    const tcpChunks = chunks.map((c) => ({ dir: c.dir, data: concat(u16(c.data.length), c.data) }));
    const tcp: Conversation = { transport: "tcp", client: CLIENT, server: SERVER, sport: 40002, dport: 53, chunks: tcpChunks };
    const pcap = writeCapture("dns.pcap", [udp, tcp]);
    const rows = tsharkFields(pcap, "dns", ["dns.id", "dns.flags.response", "dns.qry.name", "dns.qry.type", "dns.flags.rcode", "dns.count.answers", "dns.a", "dns.aaaa", "dns.txt", "dns.cname", "dns.mx.mail_exchange"]);
    const responses = rows.filter((r) => r["dns.flags.response"] === "1" || r["dns.flags.response"] === "True");
    expect(rows.length).toBe(24);
    for (const [d, conv] of [[dnsDissector, udp], [dnsTcpDissector, tcp]] as const) {
      const { events, weird } = replay(d, conv);
      expect(weird).toEqual([]);
      const dns = events as DnsEvent[];
      expect(dns.length).toBe(6);
      const ref = responses.slice(conv.transport === "udp" ? 0 : 6, conv.transport === "udp" ? 6 : 12);
      dns.forEach((e, i) => {
        const r = ref[i]!;
        expect(e.status).toBe("ok");
        expect(e.transport).toBe(conv.transport);
        expect(e.id).toBe(Number(r["dns.id"]));
        expect(e.query).toBe(r["dns.qry.name"]!.toLowerCase());
        expect(e.qtype).toBe(Number(r["dns.qry.type"]));
        expect(e.rcode).toBe(Number(r["dns.flags.rcode"]));
        expect(e.answers.length).toBe(Number(r["dns.count.answers"]));
        const data = e.answers.map((a) => a.data).join("|");
        const refData = ["dns.a", "dns.aaaa", "dns.txt", "dns.cname", "dns.mx.mail_exchange"].map((f) => r[f]).filter((v) => v).join("|");
        expect(data).toBe(refData);
        expect(e.src).toBe(CLIENT);
        expect(e.dst).toBe(SERVER);
      });
      expect(dns.map((e) => e.qtypeName)).toEqual(["A", "AAAA", "TXT", "A", "MX", "CNAME"]);
      expect(dns[3]?.rcodeName).toBe("NXDOMAIN");
    }
    // The real pipeline (flow table, ports, TCP reassembly, 2-byte framing) yields the same transactions.
    const { events, counters } = await pipelineEvents(pcap, [dnsDissector, dnsTcpDissector]);
    const viaPipeline = events.filter((e): e is DnsEvent => e.type === "dns");
    expect(viaPipeline.map((e) => `${e.transport} ${e.id} ${e.query} ${e.qtypeName} ${e.rcodeName} ${e.answers.length}`)).toEqual(
      [udp, tcp].flatMap((c) => (replay(c.transport === "udp" ? dnsDissector : dnsTcpDissector, c).events as DnsEvent[]).map((e) => `${e.transport} ${e.id} ${e.query} ${e.qtypeName} ${e.rcodeName} ${e.answers.length}`)),
    );
    expect(counters.sum("internal.")).toBe(0);
    expect(events.filter((e) => e.type === "weird")).toEqual([]);
  });
});

describe("HTTP/1.x against tshark", () => {
  it("pairs Node client requests (GET, POST with body, chunked PUT) and pipelined requests like tshark", async () => {
    const server = createHttpServer((req, res) => {
      req.resume();
      req.on("end", () => {
        res.writeHead(req.url === "/missing" ? 404 : 200, { "content-type": "text/plain" });
        res.end(req.method === "HEAD" ? undefined : "ok " + req.url);
      });
    });
    server.keepAliveTimeout = 200;
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const send = (port: number, method: string, path: string, body?: Buffer, chunked = false): Promise<void> =>
      new Promise((resolve, reject) => {
        const headers: Record<string, string> = { host: "historian.plant.example", "user-agent": "otwatch-test/1.0" };
        if (body && !chunked) headers["content-length"] = String(body.length);
        const req = request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
          res.resume();
          res.on("end", () => resolve());
        });
        req.on("error", reject);
        if (body && chunked) {
          req.write(body.subarray(0, 100));
          req.write(body.subarray(100));
        } else if (body) req.write(body);
        req.end();
      });
    const convs: Conversation[] = [];
    let sport = 41000;
    const cases: [string, string, Buffer | undefined, boolean][] = [
      ["GET", "/api/v1/tags?limit=10", undefined, false],
      ["POST", "/upload", Buffer.alloc(5000, 0x41), false],
      ["PUT", "/chunked", Buffer.alloc(3000, 0x42), true],
      ["GET", "/missing", undefined, false],
    ];
    for (const [method, path, body, chunked] of cases) {
      const chunks = await recordTcp(server, (port) => send(port, method, path, body, chunked));
      convs.push({ transport: "tcp", client: CLIENT, server: SERVER, sport: sport++, dport: 80, chunks });
    }
    server.close();
    const pipelined = Buffer.from(
      "GET /a HTTP/1.1\r\nHost: scada.example\r\n\r\nGET /b HTTP/1.1\r\nHost: scada.example\r\n\r\nPOST /c HTTP/1.1\r\nHost: scada.example\r\nContent-Length: 4\r\n\r\nabcd",
    );
    const answers = Buffer.from(
      "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiHTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
    );
    convs.push({ transport: "tcp", client: CLIENT, server: SERVER, sport: sport++, dport: 8080, chunks: [{ dir: 0, data: pipelined }, { dir: 1, data: answers }] });
    const pcap = writeCapture("http.pcap", convs);
    if (process.env.KEEP_PCAP) writeFileSync("/tmp/http.pcap", readFileSync(pcap));
    // tshark reports pipelined messages of one segment as one row with "|"-joined values: split them. A field present
    // in fewer messages (Content-Length here) belongs to the last ones, which is how the pipelined test data is laid out.
    const split = (rows: Record<string, string>[]): Record<string, string>[] =>
      rows.flatMap((r) => {
        const n = Math.max(...Object.values(r).map((v) => v.split("|").length));
        return Array.from({ length: n }, (_, i) =>
          Object.fromEntries(Object.entries(r).map(([k, v]) => {
            const parts = v === "" ? [] : v.split("|");
            return [k, parts[i - (n - parts.length)] ?? ""];
          })),
        );
      });
    const reqs = split(tsharkFields(pcap, "http.request", ["http.request.method", "http.request.uri", "http.host", "http.user_agent", "http.content_length"]));
    const resps = split(tsharkFields(pcap, "http.response", ["http.response.code"]));
    const events = convs.flatMap((c, i) => replay(httpDissector, c, `F${i}`).events) as HttpEvent[];
    expect(events.length).toBe(7);
    expect(reqs.length).toBe(7);
    events.forEach((e, i) => {
      const r = reqs[i]!;
      expect(e.method).toBe(r["http.request.method"]);
      expect(e.host).toBe(r["http.host"]);
      expect(e.uri).toBe(r["http.request.uri"]);
      expect(e.userAgent).toBe(r["http.user_agent"]);
      expect(e.requestContentLength).toBe(r["http.content_length"] ? Number(r["http.content_length"]) : -1);
      expect(e.status).toBe("ok");
    });
    expect(events.map((e) => e.statusCode)).toEqual(resps.map((r) => Number(r["http.response.code"])));
    expect(events.map((e) => e.requestBodyBytes)).toEqual([0, 5000, 3000, 0, 0, 0, 4]);
    const viaPipeline = await pipelineEvents(pcap, [httpDissector]);
    const key = (e: HttpEvent): string => `${e.method} ${e.host} ${e.uri} ${e.requestContentLength} ${e.requestBodyBytes} ${e.statusCode} ${e.status}`;
    expect(viaPipeline.events.filter((e): e is HttpEvent => e.type === "http").map(key)).toEqual(events.map(key));
    expect(viaPipeline.counters.sum("internal.")).toBe(0);
    expect(viaPipeline.events.filter((e) => e.type === "weird")).toEqual([]);
  });
});

describe("TLS against tshark", () => {
  it("decodes OpenSSL ClientHello (SNI, ALPN, supported_versions, JA3) and ServerHello like tshark", async () => {
    const key = join(dir, "k.pem");
    const cert = join(dir, "c.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out", cert, "-subj", "/CN=otwatch-test", "-days", "1"], { stdio: "ignore" });
    const server = createTlsServer({ key: readFileSync(key), cert: readFileSync(cert), ALPNProtocols: ["h2", "http/1.1"] }, (s) => {
      s.on("data", () => s.end("pong"));
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const hello = (port: number, opts: { servername?: string; ALPNProtocols?: string[]; maxVersion?: "TLSv1.2" | "TLSv1.3" }): Promise<void> =>
      new Promise((resolve, reject) => {
        const s = tlsConnect({ host: "127.0.0.1", port, rejectUnauthorized: false, ...opts }, () => s.write("ping"));
        s.on("data", () => s.end());
        s.on("close", () => resolve());
        s.on("error", reject);
      });
    const variants = [
      { servername: "updates.vendor.example", ALPNProtocols: ["h2", "http/1.1"] },
      { servername: "historian-sync.example.org", maxVersion: "TLSv1.2" as const },
      { ALPNProtocols: ["http/1.1"] },
    ];
    const convs: Conversation[] = [];
    for (const [i, v] of variants.entries()) {
      const chunks = await recordTcp(server, (port) => hello(port, v));
      convs.push({ transport: "tcp", client: CLIENT, server: "198.51.100.7", sport: 42000 + i, dport: 443, chunks });
    }
    server.close();
    const pcap = writeCapture("tls.pcap", convs);
    const ch = tsharkFields(pcap, "tls.handshake.type == 1", ["tls.handshake.extensions_server_name", "tls.handshake.version", "tls.handshake.extensions.supported_version", "tls.handshake.extensions_alpn_str", "tls.handshake.ja3_full", "tls.handshake.ja3"]);
    const sh = tsharkFields(pcap, "tls.handshake.type == 2", ["tls.handshake.version", "tls.handshake.ciphersuite", "tls.handshake.extensions.supported_version", "tls.handshake.ja3s_full", "tls.handshake.ja3s"]);
    expect(ch.length).toBe(3);
    expect(sh.length).toBe(3);
    const all: EventBase[] = convs.flatMap((c, i) => {
      const r = replay(tlsDissector, c, `F${i}`);
      expect(r.weird).toEqual([]);
      return r.events;
    });
    const hellos = all.filter((e): e is TlsClientHelloEvent => e.type === "tls.client-hello");
    const servers = all.filter((e): e is TlsServerHelloEvent => e.type === "tls.server-hello");
    const num = (s: string | undefined): number[] => (s ? s.split("|").map((x) => Number(x)) : []);
    hellos.forEach((e, i) => {
      const r = ch[i]!;
      expect(e.sni).toBe(r["tls.handshake.extensions_server_name"]);
      expect(e.version).toBe(Number(r["tls.handshake.version"]));
      expect(e.supportedVersions).toEqual(num(r["tls.handshake.extensions.supported_version"]));
      expect(e.alpn.join("|")).toBe(r["tls.handshake.extensions_alpn_str"]);
      expect(e.ja3).toBe(r["tls.handshake.ja3_full"]);
      expect(e.ja3Hash).toBe(r["tls.handshake.ja3"]);
      expect(e.ja4).toMatch(/^t1[23][di]\d{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$/);
    });
    expect(hellos[0]?.ja4.slice(0, 4)).toBe("t13d");
    expect(hellos[0]?.ja4.slice(8, 10)).toBe("h2");
    expect(hellos[2]?.ja4.slice(3, 4)).toBe("i");
    servers.forEach((e, i) => {
      const r = sh[i]!;
      expect(e.version).toBe(Number(r["tls.handshake.version"]));
      expect(e.cipherSuite).toBe(Number(r["tls.handshake.ciphersuite"]));
      expect(e.selectedVersion).toBe(num(r["tls.handshake.extensions.supported_version"])[0] ?? e.version);
      expect(e.ja3s).toBe(r["tls.handshake.ja3s_full"]);
      expect(e.ja3sHash).toBe(r["tls.handshake.ja3s"]);
    });
    expect(servers.map((s) => s.selectedVersion)).toEqual([0x0304, 0x0303, 0x0304]);
    const viaPipeline = await pipelineEvents(pcap, [tlsDissector]);
    const tlsKey = (e: EventBase): string => (e.type === "tls.client-hello" ? `${(e as TlsClientHelloEvent).ja3Hash} ${(e as TlsClientHelloEvent).sni}` : e.type === "tls.server-hello" ? (e as TlsServerHelloEvent).ja3s : "");
    expect(viaPipeline.events.map(tlsKey).filter((k) => k !== "")).toEqual(all.map(tlsKey));
    expect(viaPipeline.counters.sum("internal.")).toBe(0);
    expect(viaPipeline.events.filter((e) => e.type === "weird")).toEqual([]);
    // TLS 1.3 moves ALPN to EncryptedExtensions: the ServerHello carries none.
    expect(servers.map((s) => s.alpn)).toEqual(["", "", ""]);
  });
});
