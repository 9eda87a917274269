// Per-flow TLS state: collects handshake-record bytes per direction (a hello may span records, RFC 8446 §5.1), decodes
// the first ClientHello (client → server) and ServerHello (server → client), then ignores the encrypted rest. Buffers
// are bounded (TLS_MAX_HELLO per direction, all flows together by the session budget: ctx.reserve, refused → weird
// `budget`); the core's framer hands over whole records (5-byte header, length at offset 3).

import type { Dir, FlowInfo, ProtocolSession, SessionContext } from "../../src/core/types.ts";
import type { TlsClientHelloEvent, TlsServerHelloEvent } from "./events.ts";
import { computeJa3, computeJa3s, computeJa4, md5Hex } from "./fingerprint.ts";
import {
  decodeClientHello, decodeServerHello, TLS_CONTENT_HANDSHAKE, TLS_HS_CLIENT_HELLO, TLS_HS_SERVER_HELLO,
  TLS_RECORD_HEADER_LEN,
} from "./wire.ts";

/** Largest hello we reassemble (post-quantum key shares make ClientHellos ~2 KB; 64 KiB is far beyond any real one). */
export const TLS_MAX_HELLO = 65536;

export class TlsSession implements ProtocolSession {
  private readonly hs: [Uint8Array[], Uint8Array[]] = [[], []];
  private readonly hsLen: [number, number] = [0, 0];
  private readonly done: [boolean, boolean] = [false, false];
  private recordVersion = 0;

  constructor(private readonly flow: FlowInfo) {}

  onPdu(dir: Dir, pdu: Uint8Array, ctx: SessionContext): void {
    if (this.done[dir]) return;
    if (pdu[0] !== TLS_CONTENT_HANDSHAKE) {
      // Encrypted or alert records before a hello mean we joined mid-stream: nothing more to learn here.
      this.done[dir] = true;
      return;
    }
    if (dir === 0 && this.recordVersion === 0) this.recordVersion = ((pdu[1] ?? 0) << 8) | (pdu[2] ?? 0);
    // Copy: the framer's view is only valid during this call and a hello may continue in the next record.
    const n = pdu.length - TLS_RECORD_HEADER_LEN;
    if (!ctx.reserve(n)) {
      ctx.weird("budget", `session budget spent: TLS handshake in direction ${dir} not reassembled`, dir);
      this.finish(dir, ctx);
      return;
    }
    this.hs[dir].push(Uint8Array.from(pdu.subarray(TLS_RECORD_HEADER_LEN)));
    this.hsLen[dir] += n;
    const parts = this.hs[dir];
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (buf.length < 4) return;
    const msgLen = ((buf[1] ?? 0) << 16) | ((buf[2] ?? 0) << 8) | (buf[3] ?? 0);
    if (msgLen > TLS_MAX_HELLO) {
      ctx.weird("bad-length", `TLS handshake message of ${msgLen} bytes`, dir);
      this.finish(dir, ctx);
      return;
    }
    if (buf.length < 4 + msgLen) {
      this.hs[dir] = [buf];
      return;
    }
    const body = buf.subarray(4, 4 + msgLen);
    const hsType = buf[0];
    if (dir === 0 && hsType === TLS_HS_CLIENT_HELLO) this.emitClientHello(body, ctx);
    else if (dir === 1 && hsType === TLS_HS_SERVER_HELLO) this.emitServerHello(body, ctx);
    else ctx.weird("unexpected-handshake", `TLS handshake type ${hsType} first in direction ${dir}`, dir);
    this.finish(dir, ctx);
  }

  onGap(dir: Dir, _bytes: number, ctx: SessionContext): void {
    this.finish(dir, ctx);
  }

  onEnd(ctx: SessionContext): void {
    this.finish(0, ctx);
    this.finish(1, ctx);
  }

  /** Done with a direction: its buffered hello bytes go, and so does their reservation. */
  private finish(dir: Dir, ctx: SessionContext): void {
    this.done[dir] = true;
    this.hs[dir] = [];
    ctx.release(this.hsLen[dir]);
    this.hsLen[dir] = 0;
  }

  private base(ctx: SessionContext) {
    const f = this.flow;
    return { ts: ctx.ts, frame: ctx.frame, flow: f.id, src: f.client, sport: f.clientPort, dst: f.server, dport: f.serverPort };
  }

  private emitClientHello(body: Uint8Array, ctx: SessionContext): void {
    const ch = decodeClientHello(body);
    for (const issue of ch.issues) ctx.weird(issue, `TLS ClientHello: ${issue}`, 0);
    const ja3 = computeJa3(ch);
    const event: TlsClientHelloEvent = {
      type: "tls.client-hello",
      ...this.base(ctx),
      recordVersion: this.recordVersion,
      version: ch.version,
      supportedVersions: ch.supportedVersions,
      sni: ch.sni,
      alpn: ch.alpn,
      cipherSuites: ch.cipherSuites,
      extensions: ch.extensions,
      ja3,
      ja3Hash: md5Hex(ja3),
      ja4: computeJa4(ch),
      ...(ch.issues.length > 0 ? { issues: ch.issues } : {}),
    };
    ctx.emit(event);
  }

  private emitServerHello(body: Uint8Array, ctx: SessionContext): void {
    const sh = decodeServerHello(body);
    for (const issue of sh.issues) ctx.weird(issue, `TLS ServerHello: ${issue}`, 1);
    const ja3s = computeJa3s(sh);
    const event: TlsServerHelloEvent = {
      type: "tls.server-hello",
      ...this.base(ctx),
      version: sh.version,
      selectedVersion: sh.selectedVersion,
      cipherSuite: sh.cipherSuite,
      alpn: sh.alpn,
      ja3s,
      ja3sHash: md5Hex(ja3s),
      ...(sh.issues.length > 0 ? { issues: sh.issues } : {}),
    };
    ctx.emit(event);
  }
}
