// Per-flow OPC UA state (one TCP connection carries one secure channel at a time, OPC UA Part 6 §7.1): HEL/ACK and ERR,
// OpenSecureChannel/CloseSecureChannel, chunk assembly, and service requests paired with their responses by request id
// (Part 6 §6.7.2.4: the request id of a response is the one of its request). Pending requests are bounded
// (OPCUA_MAX_PENDING → weird `flooded`) and time out by packet time; chunks being assembled and pending requests also
// draw on the pipeline-wide session budget (ctx.reserve; refused → weird `budget`). With a security policy other than
// None the sequence header and body of MSG/CLO are ciphertext: those become opcua.secure-msg metadata events, never
// failures.

import { PendingMap } from "../../src/core/pending-map.ts";
import { Buffer } from "node:buffer";
import type { Dir, EventBase, FlowInfo, ProtocolSession, SessionContext } from "../../src/core/types.ts";
import {
  messageTypeOf, OPCUA_MAX_PENDING, OPCUA_PENDING_BYTES_PER_BODY_BYTE, OPCUA_PENDING_ENTRY_BYTES, OPCUA_PENDING_MAX_DETAIL_BYTES,
  OPCUA_REQUEST_TIMEOUT_S, SECURITY_POLICY_NONE, securityModeName, type MessageType,
} from "./constants.ts";
import type {
  OpcuaChannelEvent, OpcuaErrorEvent, OpcuaHelloEvent, OpcuaSecureMessageEvent, OpcuaSecurityMode, OpcuaServiceDetails,
  OpcuaServiceEvent,
} from "./events.ts";
import { decodeMessage, newDecodedMessage, type DecodedMessage } from "./message.ts";
import { thumbprint } from "./services/create-session.ts";
import { SERVICE_FAULT_ID } from "./services/service-fault.ts";
import { lookupService, serviceName } from "./services/registry.ts";
import { opcuaTracer, traceRecord, type OpcuaTraceRecord } from "./trace.ts";
import {
  ChunkAssembler, chunkTypeOf, newSecureChunk, readError, readHello, readSecureChunk, type Hello, type SecureChunk,
} from "./transport.ts";
import { Cursor, DecodeError } from "./types/cursor.ts";

const NO_BYTES = new Uint8Array(0);

interface Pending {
  frame: number;
  ts: number;
  requestId: number;
  typeId: number;
  requestHandle: number | undefined;
  details: OpcuaServiceDetails | undefined;
  /** Bytes reserved from the session budget for this entry (0 when not pending). */
  cost: number;
}

interface PendingOpen {
  frame: number;
  ts: number;
  requestType: number | undefined;
  requestedLifetime: number | undefined;
}

export class OpcuaSession implements ProtocolSession {
  private policy = SECURITY_POLICY_NONE;
  private mode: OpcuaSecurityMode = "None";
  private encrypted = false;
  private channelId = 0;
  private tokenId = 0;
  private clientCert: string | undefined;
  private serverCert: string | undefined;
  private hello: { frame: number; ts: number; h: Hello } | undefined;
  private open: PendingOpen | undefined;
  private readonly pending = new PendingMap<Pending>();
  private flooded = false;
  /** The session budget refused something once already (weird `budget` is reported once per flow). */
  private starved = false;
  private readonly assembler = new ChunkAssembler();
  /** One cursor for every message of the flow (reset per message; nothing keeps it across calls). */
  private readonly cursor = new Cursor(NO_BYTES);
  /** One decoded-message record for every message of the flow (nothing keeps it across calls; details are new). */
  private readonly decoded = newDecodedMessage();
  private readonly chunk = newSecureChunk();

  constructor(private readonly flow: FlowInfo) {}

  onPdu(dir: Dir, pdu: Uint8Array, ctx: SessionContext): void {
    const type = messageTypeOf(pdu[0] ?? 0, pdu[1] ?? 0, pdu[2] ?? 0);
    if (type === undefined) {
      ctx.weird("malformed", "not a UA TCP message type", dir);
      return;
    }
    try {
      if (type === "HEL" || type === "ACK" || type === "ERR" || type === "RHE") this.onTransport(dir, type, pdu, ctx);
      else this.onSecure(dir, type, pdu, ctx);
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      ctx.weird("malformed", `${type}: ${e.message}`, dir);
    }
  }

  onGap(dir: Dir, _bytes: number, ctx: SessionContext): void {
    this.assembler.reset(dir, ctx);
  }

  onTick(ctx: SessionContext): void {
    for (const [id, p] of this.pending) {
      if (ctx.ts - p.ts < OPCUA_REQUEST_TIMEOUT_S) continue;
      this.pending.delete(id);
      ctx.release(p.cost);
      this.emitService(ctx, p, undefined, undefined, "timeout");
    }
  }

  onEnd(ctx: SessionContext): void {
    this.flushHello(ctx, false);
    for (const p of this.pending.values()) {
      ctx.release(p.cost);
      this.emitService(ctx, p, undefined, undefined, "timeout");
    }
    this.pending.clear();
  }

  private base(ctx: SessionContext, type: string, frame = ctx.frame, ts = ctx.ts): EventBase {
    const f = this.flow;
    return { type, ts, frame, flow: f.id, src: f.client, sport: f.clientPort, dst: f.server, dport: f.serverPort };
  }

  private onTransport(dir: Dir, type: MessageType, pdu: Uint8Array, ctx: SessionContext): void {
    const c = this.cursor.reset(pdu);
    c.skip(8);
    const tracer = opcuaTracer();
    const rec: OpcuaTraceRecord | undefined = tracer
      ? { frame: ctx.frame, dir, type, chunk: chunkTypeOf(pdu[3] ?? 0), size: pdu.length }
      : undefined;
    if (type === "HEL" || type === "ACK") {
      const h = readHello(c, type === "HEL");
      if (rec) rec.hello = h;
      if (type === "HEL") {
        this.flushHello(ctx, false);
        this.hello = { frame: ctx.frame, ts: ctx.ts, h };
      } else {
        this.flushHello(ctx, true);
      }
    } else if (type === "ERR") {
      const err = readError(c);
      if (rec) rec.error = err;
      this.flushHello(ctx, false);
      const ev: OpcuaErrorEvent = { ...this.base(ctx, "opcua.error"), type: "opcua.error", error: err.error, reason: err.reason };
      ctx.emit(ev);
    }
    if (rec && tracer) tracer(rec);
  }

  private flushHello(ctx: SessionContext, acknowledged: boolean): void {
    const hl = this.hello;
    if (!hl) return;
    this.hello = undefined;
    const f = this.flow;
    const ev: OpcuaHelloEvent = {
      type: "opcua.hello", ts: hl.ts, frame: hl.frame, flow: f.id, src: f.client, sport: f.clientPort, dst: f.server,
      dport: f.serverPort, endpointUrl: hl.h.endpointUrl,
      protocolVersion: hl.h.protocolVersion, receiveBufferSize: hl.h.receiveBufferSize, sendBufferSize: hl.h.sendBufferSize,
      maxMessageSize: hl.h.maxMessageSize, maxChunkCount: hl.h.maxChunkCount, acknowledged,
    };
    ctx.emit(ev);
  }

  private onSecure(dir: Dir, type: MessageType, pdu: Uint8Array, ctx: SessionContext): void {
    let sc: SecureChunk;
    if (type === "OPN") {
      // The asymmetric header is always clear; with a policy other than None what follows is encrypted.
      sc = readSecureChunk(pdu, type, false, this.cursor, this.chunk);
      const policy = sc.policyUri ?? "";
      if (policy !== SECURITY_POLICY_NONE) sc = readSecureChunk(pdu, type, true, this.cursor, this.chunk);
      this.policy = policy;
      this.encrypted = policy !== SECURITY_POLICY_NONE;
      if (this.encrypted && this.mode === "None") this.mode = "unknown";
      const tp = thumbprint(sc.senderCert);
      if (dir === 0) {
        this.clientCert = tp;
        // The client names the server certificate it encrypts for by its SHA-1 thumbprint: known even without a response.
        const rt = sc.receiverThumbprint;
        if (rt && rt.length === 20) this.serverCert = Buffer.from(rt.buffer, rt.byteOffset, rt.byteLength).toString("hex");
      } else if (tp !== undefined) {
        this.serverCert = tp;
      }
    } else {
      sc = readSecureChunk(pdu, type, this.encrypted && !this.signedOnly(pdu, type), this.cursor, this.chunk);
    }
    if (sc.channelId !== 0) this.channelId = sc.channelId;
    if (sc.tokenId !== undefined) this.tokenId = sc.tokenId;
    const tracer = opcuaTracer();
    if (sc.requestId === undefined) {
      this.onEncrypted(dir, sc, ctx);
      if (tracer) tracer(traceRecord(ctx.frame, dir, sc));
      return;
    }
    let m: DecodedMessage;
    let bodyBytes: number;
    if (sc.chunk === "F" && this.assembler.idle) {
      // The usual case: a single-chunk message, decoded in place.
      m = decodeMessage(sc.pdu, tracer !== undefined, this.cursor, this.decoded, sc.bodyStart);
      bodyBytes = sc.pdu.length - sc.bodyStart;
    } else {
      const a = this.assembler.add(dir, sc.requestId, sc.chunk, sc.body, ctx);
      if (a.kind !== "complete") {
        if (a.kind === "dropped") {
          if (a.reason !== "budget" || !this.starved) ctx.weird(a.reason, `${type} request id ${sc.requestId}`, dir);
          if (a.reason === "budget") this.starved = true;
          ctx.count(`opcua.${a.reason}`);
        } else if (a.kind === "aborted") {
          ctx.count("opcua.chunk.aborted");
        } else if (a.kind === "skipped") {
          ctx.count("opcua.chunk.skipped");
        }
        if (tracer) tracer(traceRecord(ctx.frame, dir, sc));
        return;
      }
      m = decodeMessage(a.body, tracer !== undefined, this.cursor, this.decoded);
      bodyBytes = a.body.length;
    }
    if (m.malformed !== undefined) ctx.weird("malformed", `${type} ${serviceName(m.typeId)}: ${m.malformed}`, dir);
    if (type === "OPN") this.onOpen(dir, m, ctx);
    else if (type === "CLO") this.emitChannel(ctx, "close", undefined, undefined);
    else this.onService(dir, sc.requestId, m, bodyBytes, ctx);
    if (tracer) tracer(traceRecord(ctx.frame, dir, sc, m));
  }

  /**
   * With a policy other than None, OPN is always encrypted but MSG/CLO are encrypted only in SignAndEncrypt mode; in Sign
   * mode the sequence header and body are clear, followed by the signature (Part 6 §6.7.2). The mode itself travels
   * inside the encrypted OPN, so it is learned from the first MSG: a clear body starts with the NodeId of a known
   * service type (four-byte encoding, namespace 0) — ciphertext matches that by chance with probability < 2^-24.
   */
  private signedOnly(pdu: Uint8Array, type: MessageType): boolean {
    if (this.mode === "Sign") return true;
    if (this.mode !== "unknown") return false;
    const at = 24; // message header 8 + channel id 4 + token id 4 + sequence header 8
    const clear = pdu.length >= at + 4 && pdu[at] === 0x01 && pdu[at + 1] === 0x00 &&
      lookupService((pdu[at + 2] ?? 0) | ((pdu[at + 3] ?? 0) << 8)) !== undefined;
    if (type === "MSG") this.mode = clear ? "Sign" : "SignAndEncrypt";
    return clear;
  }

  private onEncrypted(dir: Dir, sc: SecureChunk, ctx: SessionContext): void {
    if (sc.type === "OPN") {
      if (dir === 0) this.open = { frame: ctx.frame, ts: ctx.ts, requestType: undefined, requestedLifetime: undefined };
      else this.emitChannel(ctx, "open", undefined, undefined);
      return;
    }
    if (sc.type === "CLO") {
      this.emitChannel(ctx, "close", undefined, undefined);
      return;
    }
    const f = this.flow;
    const ev: OpcuaSecureMessageEvent = {
      type: "opcua.secure-msg", ts: ctx.ts, frame: ctx.frame, flow: f.id, src: f.client, sport: f.clientPort, dst: f.server,
      dport: f.serverPort, dir, channelId: sc.channelId, tokenId: sc.tokenId ?? 0, size: sc.size, chunk: sc.chunk,
      securityMode: this.mode, securityPolicy: this.policy,
    };
    ctx.emit(ev);
  }

  private onOpen(dir: Dir, m: DecodedMessage, ctx: SessionContext): void {
    if (dir === 0) {
      const r = m.openRequest;
      if (r) this.mode = securityModeName(r.securityMode);
      this.open = { frame: ctx.frame, ts: ctx.ts, requestType: r?.requestType, requestedLifetime: r?.requestedLifetime };
      return;
    }
    const r = m.openResponse;
    if (r) {
      this.channelId = r.channelId;
      this.tokenId = r.tokenId;
    }
    this.emitChannel(ctx, this.open?.requestType === 1 ? "renew" : "open", m.serviceResult, this.open?.requestedLifetime);
  }

  private emitChannel(ctx: SessionContext, action: OpcuaChannelEvent["action"], serviceResult: number | undefined,
    requestedLifetime: number | undefined): void {
    const o = action === "close" ? undefined : this.open;
    if (action !== "close") this.open = undefined;
    const f = this.flow;
    const ev: OpcuaChannelEvent = {
      type: "opcua.channel", ts: o?.ts ?? ctx.ts, frame: o?.frame ?? ctx.frame, flow: f.id, src: f.client, sport: f.clientPort,
      dst: f.server, dport: f.serverPort, action,
      channelId: this.channelId, tokenId: this.tokenId, securityPolicy: this.policy, securityMode: this.mode,
      clientCertThumbprint: this.clientCert, serverCertThumbprint: this.serverCert, requestedLifetime, serviceResult,
    };
    ctx.emit(ev);
  }

  private onService(dir: Dir, requestId: number, m: DecodedMessage, bodyBytes: number, ctx: SessionContext): void {
    // Requests are known by their type id, not by direction: with reverse connect (RHE) the server opens the TCP flow.
    if (m.kind === "request" || (m.kind === "unknown" && dir === 0)) {
      const p: Pending = {
        frame: ctx.frame, ts: ctx.ts, requestId, typeId: m.typeId, requestHandle: m.requestHandle, details: m.details, cost: 0,
      };
      const old = this.pending.get(requestId);
      if (old) {
        this.pending.delete(requestId);
        ctx.release(old.cost);
        this.emitService(ctx, old, undefined, undefined, "timeout");
      }
      if (this.pending.size >= OPCUA_MAX_PENDING) {
        ctx.count("opcua.pending.flooded");
        if (!this.flooded) ctx.weird("flooded", `${OPCUA_MAX_PENDING} unanswered requests`, dir);
        this.flooded = true;
        return;
      }
      const cost = pendingCost(bodyBytes);
      if (!ctx.reserve(cost)) {
        // No room to keep it: reported now, unpaired, so detectors still see the request.
        ctx.count("opcua.pending.budget");
        if (!this.starved) ctx.weird("budget", `session budget spent: request id ${requestId} not kept for pairing`, dir);
        this.starved = true;
        this.emitService(ctx, p, undefined, undefined, "timeout");
        return;
      }
      p.cost = cost;
      this.pending.set(requestId, p);
      return;
    }
    const p = this.pending.get(requestId);
    if (p) {
      this.pending.delete(requestId);
      ctx.release(p.cost);
    }
    const status = p === undefined ? "unsolicited"
      : m.typeId === SERVICE_FAULT_ID ? "fault"
      : m.serviceResult !== undefined && m.serviceResult >= 0x80000000 ? "bad" : "ok";
    const req: Pending = p ?? {
      frame: ctx.frame, ts: ctx.ts, requestId, typeId: -1, requestHandle: m.requestHandle, details: undefined, cost: 0,
    };
    this.emitService(ctx, req, m, ctx, status);
  }

  private emitService(ctx: SessionContext, p: Pending, m: DecodedMessage | undefined, at: SessionContext | undefined,
    status: OpcuaServiceEvent["status"]): void {
    const name = p.typeId >= 0 ? serviceName(p.typeId)
      : m && m.typeId !== SERVICE_FAULT_ID ? serviceName(m.typeId) : "Unknown";
    // One literal with every key (undefined where absent): a single object shape, no spread temporaries per event.
    const f = this.flow;
    const ev: OpcuaServiceEvent = {
      type: "opcua.service", ts: p.ts, frame: p.frame, flow: f.id, src: f.client, sport: f.clientPort, dst: f.server,
      dport: f.serverPort, channelId: this.channelId, tokenId: this.tokenId, requestId: p.requestId,
      requestHandle: p.requestHandle, securityPolicy: this.policy, securityMode: this.mode, service: name,
      requestType: p.typeId >= 0 ? p.typeId : undefined, responseType: m && m.typeId >= 0 ? m.typeId : undefined, status,
      serviceResult: m?.serviceResult, request: p.details, response: m?.details,
      requestFrame: status !== "unsolicited" ? p.frame : undefined, responseFrame: at?.frame,
      rtt: at && status !== "unsolicited" ? at.ts - p.ts : undefined,
    };
    ctx.emit(ev);
  }
}

/** Estimated bytes a pending request holds: the entry, plus its decoded details (bounded by OPCUA_MAX_OPERANDS). */
function pendingCost(bodyBytes: number): number {
  return OPCUA_PENDING_ENTRY_BYTES + Math.min(bodyBytes * OPCUA_PENDING_BYTES_PER_BODY_BYTE, OPCUA_PENDING_MAX_DETAIL_BYTES);
}
