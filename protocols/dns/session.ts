// Per-flow DNS state: pairs queries with responses by message id (RFC 1035 §4.1.1: the id "is copied into the
// corresponding reply"), bounded pending (per flow, and all flows together through the session budget), timeouts by
// packet time. Works for UDP datagrams and TCP messages (RFC 7766;
// the 2-byte length prefix is stripped here because the core's framer hands over whole length-prefixed PDUs).

import type { Dir, FlowInfo, ProtocolSession, SessionContext, Ts } from "../../src/core/types.ts";
import type { DnsEvent } from "./events.ts";
import { nameRcode, nameRrType } from "./constants.ts";
import { decodeDnsMessage, type DnsMessage } from "./wire.ts";

/** Unanswered queries kept per flow; beyond that new queries are reported without pairing (Suricata-like flood cap). */
export const DNS_MAX_PENDING = 256;
/**
 * Session-budget estimate of one pending query (SessionContext.reserve): entry and decoded message (~1 KiB measured for
 * a one-question query) plus this many bytes per message byte for what a large message decodes to.
 */
export const DNS_PENDING_ENTRY_BYTES = 1024;
export const DNS_PENDING_BYTES_PER_BYTE = 4;
/** Seconds of packet time after which an unanswered query is reported as a timeout. */
export const DNS_TIMEOUT_S = 10;

interface Pending {
  readonly msg: DnsMessage;
  readonly frame: number;
  readonly ts: Ts;
  readonly bytes: number;
  readonly dir: Dir;
}

export class DnsSession implements ProtocolSession {
  private readonly pending = new Map<number, Pending>();
  private flooded = false;
  /** The session budget refused a query once already (weird `budget` is reported once per flow). */
  private starved = false;

  constructor(
    private readonly flow: FlowInfo,
    private readonly tcp: boolean,
  ) {}

  onPdu(dir: Dir, pdu: Uint8Array, ctx: SessionContext): void {
    const body = this.tcp ? pdu.subarray(2) : pdu;
    const msg = decodeDnsMessage(body);
    for (const issue of msg.issues) {
      if (issue !== "trailing-bytes") ctx.weird(issue, `DNS message id ${msg.id}: ${issue}`, dir);
    }
    if (!msg.qr) {
      if (this.pending.size >= DNS_MAX_PENDING) {
        if (!this.flooded) ctx.weird("flooded", `more than ${DNS_MAX_PENDING} unanswered DNS queries`, dir);
        this.flooded = true;
        ctx.count("dns.pending.flooded");
        this.emit(ctx, dir, { msg, frame: ctx.frame, ts: ctx.ts, bytes: body.length, dir }, undefined, "timeout");
        return;
      }
      const old = this.pending.get(msg.id);
      if (old !== undefined) {
        ctx.release(pendingCost(old.bytes));
        this.emit(ctx, old.dir, old, undefined, "timeout");
      }
      const p: Pending = { msg, frame: ctx.frame, ts: ctx.ts, bytes: body.length, dir };
      if (!ctx.reserve(pendingCost(body.length))) {
        // No room to keep it for pairing: reported now, unpaired.
        if (old !== undefined) this.pending.delete(msg.id);
        if (!this.starved) ctx.weird("budget", `session budget spent: DNS query id ${msg.id} not kept for pairing`, dir);
        this.starved = true;
        ctx.count("dns.pending.budget");
        this.emit(ctx, dir, p, undefined, "timeout");
        return;
      }
      this.pending.set(msg.id, p);
      return;
    }
    const req = this.pending.get(msg.id);
    if (req === undefined) {
      this.emit(ctx, dir === 1 ? 0 : 1, undefined, { msg, bytes: body.length, ts: ctx.ts }, "unsolicited");
      return;
    }
    this.pending.delete(msg.id);
    ctx.release(pendingCost(req.bytes));
    this.emit(ctx, req.dir, req, { msg, bytes: body.length, ts: ctx.ts }, "ok");
  }

  onTick(ctx: SessionContext): void {
    for (const [id, p] of this.pending) {
      if (ctx.ts - p.ts < DNS_TIMEOUT_S) continue;
      this.pending.delete(id);
      ctx.release(pendingCost(p.bytes));
      this.emit(ctx, p.dir, p, undefined, "timeout");
    }
  }

  onEnd(ctx: SessionContext): void {
    for (const p of this.pending.values()) {
      ctx.release(pendingCost(p.bytes));
      this.emit(ctx, p.dir, p, undefined, "timeout");
    }
    this.pending.clear();
  }

  /** `queryDir` is the direction the query travelled in; src/sport is its sender. */
  private emit(
    ctx: SessionContext,
    queryDir: Dir,
    req: Pending | undefined,
    res: { msg: DnsMessage; bytes: number; ts: Ts } | undefined,
    status: DnsEvent["status"],
  ): void {
    const f = this.flow;
    const q = (req ?? res)?.msg.questions[0];
    const issues = [...(req?.msg.issues ?? []), ...(res?.msg.issues ?? [])];
    const fromClient = queryDir === 0;
    const event: DnsEvent = {
      type: "dns",
      ts: req?.ts ?? res?.ts ?? ctx.ts,
      frame: req?.frame ?? ctx.frame,
      flow: f.id,
      src: fromClient ? f.client : f.server,
      sport: fromClient ? f.clientPort : f.serverPort,
      dst: fromClient ? f.server : f.client,
      dport: fromClient ? f.serverPort : f.clientPort,
      transport: this.tcp ? "tcp" : "udp",
      id: (req ?? res)?.msg.id ?? 0,
      query: q?.name ?? "",
      qtype: q?.type ?? 0,
      qtypeName: q === undefined ? "" : nameRrType(q.type),
      qclass: q?.class ?? 0,
      status,
      rcode: res?.msg.rcode,
      rcodeName: res === undefined ? undefined : nameRcode(res.msg.rcode),
      answers: (res?.msg.answers ?? []).map((a) => ({ name: a.name, type: a.type, ttl: a.ttl, data: a.data })),
      queryBytes: req?.bytes ?? 0,
      responseBytes: res?.bytes ?? 0,
      rtt: req !== undefined && res !== undefined ? res.ts - req.ts : undefined,
      ...(issues.length > 0 ? { issues: [...new Set(issues)] } : {}),
    };
    ctx.emit(event);
  }
}

/** Estimated bytes a pending query of `bytes` message bytes holds (reserve and release use the same figure). */
function pendingCost(bytes: number): number {
  return DNS_PENDING_ENTRY_BYTES + DNS_PENDING_BYTES_PER_BYTE * bytes;
}
