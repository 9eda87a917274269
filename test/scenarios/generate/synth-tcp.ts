// Scenario generator, synthesised TCP: a conversation builder that keeps sequence numbers straight (RFC 9293 handshake,
// data with piggy-backed ACKs, FIN exchange) and minimal TLS 1.3-style ClientHello/ServerHello records (RFC 8446 §4.1.2,
// §4.1.3; SNI per RFC 6066 §3) for traffic loopback cannot produce: internet peers, scans, remote-desktop sessions.
import { concat, ethernet, ipv4, tcp, u16 } from "../../fixtures/capture-builder.ts";
import { fixChecksums, type OutRecord } from "./pcap-out.ts";
import { macPair } from "./rewrite.ts";
import type { Host } from "./plant.ts";

export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const FIN = 0x01;
const MSS_OPTION = Uint8Array.of(2, 4, 0x05, 0xb4);

let ipId = 0x2100;

/** One Ethernet/IPv4/TCP frame with correct checksums. */
export function tcpFrame(from: Host, to: Host, sport: number, dport: number, flags: number, seq: number, ack: number, payload?: Uint8Array, ttl = 64): Uint8Array {
  const [dmac, smac] = macPair(from, to);
  const options = flags & SYN ? MSS_OPTION : undefined;
  const seg = tcp({ sport, dport, flags, seq: seq >>> 0, ack: ack >>> 0, window: flags & SYN ? 64240 : 502, payload, options });
  ipId = (ipId + 1) & 0xffff;
  const f = ethernet({ ethertype: 0x0800, payload: ipv4({ src: from.ip, dst: to.ip, proto: 6, payload: seg, ttl, id: ipId }) });
  f.set(dmac, 0);
  f.set(smac, 6);
  fixChecksums(f);
  return f;
}

/** A TCP conversation between a client and a server; every call appends frames at the given scenario time. */
export class TcpConversation {
  private cseq: number;
  private sseq: number;
  constructor(
    private readonly out: OutRecord[],
    readonly client: Host,
    readonly server: Host,
    readonly sport: number,
    readonly dport: number,
    r: () => number,
    private readonly clientTtl = 128,
    private readonly serverTtl = 64,
  ) {
    this.cseq = Math.floor(r() * 2 ** 32);
    this.sseq = Math.floor(r() * 2 ** 32);
  }

  private push(ts: number, toServer: boolean, flags: number, payload?: Uint8Array): void {
    const [from, to, sp, dp, seq, ack, ttl] = toServer
      ? [this.client, this.server, this.sport, this.dport, this.cseq, this.sseq, this.clientTtl]
      : [this.server, this.client, this.dport, this.sport, this.sseq, this.cseq, this.serverTtl];
    this.out.push({ ts, data: tcpFrame(from, to, sp, dp, flags, seq, flags & SYN && !toServer ? ack : flags & SYN ? 0 : ack, payload, ttl) });
    const advance = (payload?.length ?? 0) + (flags & (SYN | FIN) ? 1 : 0);
    if (toServer) this.cseq = (this.cseq + advance) >>> 0;
    else this.sseq = (this.sseq + advance) >>> 0;
  }

  /** SYN, SYN-ACK, ACK with one round trip `rtt`; returns the time after the handshake. */
  open(ts: number, rtt: number): number {
    this.push(ts, true, SYN);
    this.push(ts + rtt / 2, false, SYN | ACK);
    this.push(ts + rtt, true, ACK);
    return ts + rtt;
  }

  /** Data in one direction, cut into 1460-byte segments; the peer ACKs after rtt/2. */
  send(ts: number, toServer: boolean, payload: Uint8Array, rtt: number): number {
    for (let o = 0; o < payload.length; o += 1460) {
      const last = o + 1460 >= payload.length;
      this.push(ts + o * 1e-6, toServer, ACK | (last ? PSH : 0), payload.subarray(o, o + 1460));
    }
    this.push(ts + rtt / 2, !toServer, ACK);
    return ts + rtt / 2;
  }

  /** FIN from the client, FIN-ACK from the server, last ACK. */
  close(ts: number, rtt: number): number {
    this.push(ts, true, FIN | ACK);
    this.push(ts + rtt / 2, false, FIN | ACK);
    this.push(ts + rtt, true, ACK);
    return ts + rtt;
  }
}

function bytes(r: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
}

function vec(lenBytes: 1 | 2, body: Uint8Array): Uint8Array {
  return concat(lenBytes === 1 ? Uint8Array.of(body.length) : u16(body.length), body);
}

function ext(type: number, body: Uint8Array): Uint8Array {
  return concat(u16(type), vec(2, body));
}

function record(type: number, version: number, body: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(type), u16(version), u16(body.length), body);
}

function handshake(type: number, body: Uint8Array): Uint8Array {
  return concat(Uint8Array.of(type, 0, body.length >>> 8, body.length & 0xff), body);
}

export function clientHello(sni: string, r: () => number): Uint8Array {
  const name = new TextEncoder().encode(sni);
  const exts = concat(
    ext(0, vec(2, concat(Uint8Array.of(0), vec(2, name)))),
    ext(10, vec(2, concat(u16(0x001d), u16(0x0017), u16(0x0018)))),
    ext(11, vec(1, Uint8Array.of(0))),
    ext(13, vec(2, concat(u16(0x0403), u16(0x0804), u16(0x0401), u16(0x0503), u16(0x0805), u16(0x0501)))),
    ext(16, vec(2, vec(1, new TextEncoder().encode("http/1.1")))),
    ext(43, vec(1, concat(u16(0x0304), u16(0x0303)))),
    ext(51, vec(2, concat(u16(0x001d), vec(2, bytes(r, 32))))),
  );
  const suites = [0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d];
  const body = concat(u16(0x0303), bytes(r, 32), vec(1, bytes(r, 32)), vec(2, concat(...suites.map(u16))), vec(1, Uint8Array.of(0)), vec(2, exts));
  return record(22, 0x0301, handshake(1, body));
}

/** ServerHello, ChangeCipherSpec and an opaque application-data record standing for the encrypted handshake. */
export function serverFlight(r: () => number, encryptedLen: number): Uint8Array {
  const exts = concat(ext(43, u16(0x0304)), ext(51, concat(u16(0x001d), vec(2, bytes(r, 32)))));
  const body = concat(u16(0x0303), bytes(r, 32), vec(1, bytes(r, 32)), u16(0x1301), Uint8Array.of(0), vec(2, exts));
  return concat(record(22, 0x0303, handshake(2, body)), record(20, 0x0303, Uint8Array.of(1)), appData(r, encryptedLen));
}

export function appData(r: () => number, len: number): Uint8Array {
  return record(23, 0x0303, bytes(r, len));
}

export function randomBytes(r: () => number, n: number): Uint8Array {
  return bytes(r, n);
}
