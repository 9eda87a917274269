// Per-flow HTTP/1.x state (RFC 9112): each direction is a stream of heads and bodies; the body length follows §6.3
// (Content-Length, chunked, or until close for responses). Requests wait in a bounded FIFO and are paired with
// responses in order (pipelining, §9.3.2); 1xx responses are interim and pair with nothing. The core hands over
// in-order stream bytes (no framing declared); head bytes are copied only while a head is incomplete, and that copy is
// reserved from the pipeline-wide session budget (refused → weird `budget`, the stream waits for the next message).

import type { Dir, FlowInfo, ProtocolSession, SessionContext, Ts } from "../../src/core/types.ts";
import type { HttpEvent } from "./events.ts";
import { findHeadEnd, HTTP_MAX_HEAD_BYTES, parseHead, type HttpHead } from "./wire.ts";

/** Requests awaiting a response per flow (pipelining depth); beyond it requests are reported unpaired. */
export const HTTP_MAX_PENDING = 32;
/** Session-budget estimate of a queued request besides twice its head bytes (object, headers map, strings). */
export const HTTP_PENDING_ENTRY_BYTES = 256;
/** A chunk-size line longer than this is not HTTP. */
const MAX_CHUNK_LINE = 64;
const EMPTY = new Uint8Array(0);

interface PendingRequest {
  readonly head: HttpHead;
  readonly frame: number;
  readonly ts: Ts;
  bodyBytes: number;
  /** Bytes reserved from the session budget while queued (0 when not queued). */
  cost: number;
}

type BodyMode = "none" | "length" | "chunk-size" | "chunk-data" | "chunk-crlf" | "trailer" | "until-close" | "lost";

class DirectionParser {
  /** Incomplete head or chunk line, copied because it must outlive the caller's view. */
  private pending: Uint8Array = new Uint8Array(0);
  /** Bytes of `pending` reserved from the session budget. */
  private reserved = 0;
  mode: BodyMode = "none";
  private remaining = 0;

  constructor(
    private readonly onHead: (head: HttpHead | undefined, ctx: SessionContext, bytes: number) => BodyMode | { length: number },
    private readonly onBody: (bytes: number) => void,
  ) {}

  push(data: Uint8Array, ctx: SessionContext, dir: Dir): void {
    let buf = data;
    if (this.pending.length > 0) {
      buf = Buffer.concat([this.pending, data]);
      this.drop(ctx);
    }
    let off = 0;
    while (off < buf.length) {
      switch (this.mode) {
        case "lost": {
          // Resynchronise only at a segment that starts a new message.
          const head = parseProbe(buf.subarray(off));
          if (!head) return;
          this.mode = "none";
          break;
        }
        case "until-close":
          this.onBody(buf.length - off);
          return;
        case "length":
        case "chunk-data": {
          const n = Math.min(this.remaining, buf.length - off);
          this.onBody(n);
          off += n;
          this.remaining -= n;
          if (this.remaining === 0) this.mode = this.mode === "length" ? "none" : "chunk-crlf";
          break;
        }
        case "chunk-crlf":
        case "chunk-size":
        case "trailer": {
          const nl = buf.indexOf(0x0a, off);
          if (nl < 0) {
            if (buf.length - off > MAX_CHUNK_LINE) return this.lose(ctx, dir, "bad-chunk");
            return this.keep(buf.subarray(off), ctx, dir);
          }
          const line = Buffer.from(buf.buffer, buf.byteOffset + off, nl - off).toString("latin1").trim();
          off = nl + 1;
          if (this.mode === "chunk-crlf") this.mode = "chunk-size";
          else if (this.mode === "trailer") {
            if (line === "") this.mode = "none";
          } else {
            const size = parseInt(line.split(";")[0] ?? "", 16);
            if (!Number.isFinite(size) || size < 0 || !/^[0-9a-fA-F]/.test(line)) return this.lose(ctx, dir, "bad-chunk");
            if (size === 0) this.mode = "trailer";
            else {
              this.mode = "chunk-data";
              this.remaining = size;
            }
          }
          break;
        }
        case "none": {
          const end = findHeadEnd(buf, off);
          if (end < 0) {
            if (buf.length - off > HTTP_MAX_HEAD_BYTES) return this.lose(ctx, dir, "head-too-long");
            return this.keep(buf.subarray(off), ctx, dir);
          }
          const head = parseHead(buf.subarray(off, end));
          off = end;
          const next = this.onHead(head, ctx, end - off);
          if (head === undefined) return this.lose(ctx, dir, "malformed");
          if (typeof next === "object") {
            this.mode = next.length > 0 ? "length" : "none";
            this.remaining = next.length;
          } else this.mode = next;
          break;
        }
      }
    }
  }

  gap(ctx: SessionContext): void {
    this.drop(ctx);
    this.mode = this.mode === "until-close" ? "until-close" : "lost";
  }

  /** Copies an incomplete head or chunk line to outlive the caller's view, if the session budget has room. */
  private keep(rest: Uint8Array, ctx: SessionContext, dir: Dir): void {
    if (!ctx.reserve(rest.length)) return this.lose(ctx, dir, "budget");
    this.pending = Uint8Array.from(rest);
    this.reserved = rest.length;
  }

  private drop(ctx: SessionContext): void {
    this.pending = EMPTY;
    ctx.release(this.reserved);
    this.reserved = 0;
  }

  private lose(ctx: SessionContext, dir: Dir, reason: string): void {
    ctx.weird(reason, `HTTP ${dir === 0 ? "request" : "response"} stream: ${reason}`, dir);
    this.drop(ctx);
    this.mode = "lost";
  }
}

function parseProbe(buf: Uint8Array): boolean {
  const s = Buffer.from(buf.buffer, buf.byteOffset, Math.min(buf.length, 16)).toString("latin1");
  return /^(HTTP\/1\.|[A-Z]{3,10} )/.test(s);
}

export class HttpSession implements ProtocolSession {
  private readonly queue: PendingRequest[] = [];
  private readonly req: DirectionParser;
  private readonly res: DirectionParser;
  private current: PendingRequest | undefined;

  constructor(private readonly flow: FlowInfo) {
    this.req = new DirectionParser(
      (head, ctx, bytes) => this.onRequest(head, ctx, bytes),
      (n) => {
        if (this.current) this.current.bodyBytes += n;
      },
    );
    this.res = new DirectionParser((head, ctx) => this.onResponse(head, ctx), () => undefined);
  }

  onPdu(dir: Dir, pdu: Uint8Array, ctx: SessionContext): void {
    (dir === 0 ? this.req : this.res).push(pdu, ctx, dir);
  }

  onGap(dir: Dir, _bytes: number, ctx: SessionContext): void {
    (dir === 0 ? this.req : this.res).gap(ctx);
  }

  onEnd(ctx: SessionContext): void {
    for (const r of this.queue) {
      ctx.release(r.cost);
      this.emit(ctx, r, undefined, "no-response");
    }
    this.queue.length = 0;
  }

  private onRequest(head: HttpHead | undefined, ctx: SessionContext, headBytes: number): BodyMode | { length: number } {
    if (head === undefined || head.kind !== "request") return "none";
    for (const issue of head.issues) ctx.weird(issue, `HTTP request: ${issue}`, 0);
    const r: PendingRequest = { head, frame: ctx.frame, ts: ctx.ts, bodyBytes: 0, cost: 0 };
    this.current = r;
    if (this.queue.length >= HTTP_MAX_PENDING) {
      ctx.count("http.pending.flooded");
      const old = this.queue.shift();
      if (old) {
        ctx.release(old.cost);
        this.emit(ctx, old, undefined, "no-response");
      }
    }
    // A parsed head holds about its own size again in strings and the header map.
    const cost = HTTP_PENDING_ENTRY_BYTES + 2 * headBytes;
    if (ctx.reserve(cost)) {
      r.cost = cost;
      this.queue.push(r);
    } else {
      // No room to keep it for pairing: reported now, unpaired; its response will come out unsolicited.
      ctx.count("http.pending.budget");
      this.emit(ctx, r, undefined, "no-response");
    }
    if (head.chunked) return "chunk-size";
    return { length: Math.max(0, head.contentLength) };
  }

  private onResponse(head: HttpHead | undefined, ctx: SessionContext): BodyMode | { length: number } {
    if (head === undefined || head.kind !== "response") return "none";
    for (const issue of head.issues) ctx.weird(issue, `HTTP response: ${issue}`, 1);
    if (head.statusCode >= 100 && head.statusCode < 200 && head.statusCode !== 101) return "none";
    const r = this.queue.shift();
    if (r !== undefined) ctx.release(r.cost);
    if (r === undefined) this.emitUnsolicited(ctx, head);
    else this.emit(ctx, r, head, "ok");
    if (head.statusCode === 101) {
      // Switching Protocols (WebSocket, h2c): what follows in both directions is no longer HTTP/1.x.
      this.req.mode = "until-close";
      return "until-close";
    }
    const noBody = r?.head.method === "HEAD" || head.statusCode === 204 || head.statusCode === 304;
    if (noBody) return "none";
    if (r?.head.method === "CONNECT" && head.statusCode < 300) return "until-close";
    if (head.chunked) return "chunk-size";
    if (head.contentLength >= 0) return { length: head.contentLength };
    return "until-close";
  }

  private emitUnsolicited(ctx: SessionContext, head: HttpHead): void {
    const empty: HttpHead = { ...head, kind: "request", method: "", uri: "", headers: new Map(), contentLength: -1 };
    this.emit(ctx, { head: empty, frame: ctx.frame, ts: ctx.ts, bodyBytes: 0, cost: 0 }, head, "unsolicited");
  }

  private emit(ctx: SessionContext, r: PendingRequest, res: HttpHead | undefined, status: HttpEvent["status"]): void {
    const f = this.flow;
    const h = r.head.headers;
    const issues = [...r.head.issues, ...(res?.issues ?? [])];
    const event: HttpEvent = {
      type: "http",
      ts: r.ts,
      frame: r.frame,
      flow: f.id,
      src: f.client,
      sport: f.clientPort,
      dst: f.server,
      dport: f.serverPort,
      status,
      method: r.head.method,
      uri: r.head.uri,
      version: r.head.version || (res?.version ?? ""),
      host: (h.get("host") ?? "").toLowerCase(),
      userAgent: h.get("user-agent") ?? "",
      requestContentLength: r.head.contentLength,
      requestBodyBytes: r.bodyBytes,
      statusCode: res?.statusCode ?? 0,
      reason: res?.reason ?? "",
      responseContentLength: res?.contentLength ?? -1,
      contentType: res?.headers.get("content-type") ?? "",
      ...(issues.length > 0 ? { issues: [...new Set(issues)] } : {}),
    };
    ctx.emit(event);
  }
}
