// Per-flow Modbus/TCP state: pairs each response with its request by (unit id, transaction id) — the MBAP key of the
// Implementation Guide V1.0b §3.1.3 and §4.2 — and emits one ModbusTransactionEvent per transaction: "ok",
// "exception", "timeout" (no response within MODBUS_TRANSACTION_TIMEOUT_S of packet time) or "unsolicited" (a response
// nobody asked for). The pending map is bounded (MODBUS_MAX_PENDING) and draws on the pipeline-wide session budget
// (ctx.reserve; refused → the request is reported unpaired, weird `budget`); out-of-spec PDUs become `weird` events.

import { PendingMap } from "../../src/core/pending-map.ts";
import type { Dir, FlowInfo, ProtocolSession, SessionContext, Ts } from "../../src/core/types.ts";
import type { ModbusPdu, ModbusTransactionEvent } from "./events.ts";
import {
  EXCEPTION_BIT,
  FC,
  MODBUS_MAX_PENDING,
  MODBUS_PENDING_BYTES_PER_RECORD,
  MODBUS_PENDING_BYTES_PER_VALUE,
  MODBUS_PENDING_ENTRY_BYTES,
  MODBUS_TCP_PORT,
  MODBUS_TRANSACTION_TIMEOUT_S,
  functionName,
} from "./constants.ts";
import { decodeAdu } from "./wire.ts";

type Status = ModbusTransactionEvent["status"];

/** Issues that are reported by their own weird name; every other issue is reported as `malformed`. */
const OWN_WEIRD = "protocol-id";

export class ModbusSession implements ProtocolSession {
  /** Unanswered requests keyed by unit << 16 | tid, in arrival order (Map keeps insertion order: oldest first). */
  private readonly pending = new PendingMap<ModbusPdu>();
  private flooded = false;
  /** The session budget refused a request once already (weird `budget` is reported once per flow). */
  private starved = false;
  /** Set when bytes of requests were lost: responses to them are expected, so not reported as weird. */
  private requestGap = false;
  /** Set by the first paired transaction: from then on the session is known to be in step with the connection. */
  private paired = false;

  /**
   * Direction of requests. Normally the TCP client's (0); when the side on port 502 opened the connection (seen in
   * modbus_test_data_part1.pcap) the Modbus server is the TCP client, and the port decides, as in Wireshark.
   */
  private readonly requestDir: Dir;

  constructor(private readonly flow: FlowInfo) {
    this.requestDir = flow.clientPort === MODBUS_TCP_PORT && flow.serverPort !== MODBUS_TCP_PORT ? 1 : 0;
  }

  onPdu(dir: Dir, bytes: Uint8Array, ctx: SessionContext): void {
    if (dir === this.requestDir) this.onRequest(bytes, ctx);
    else this.onResponse(bytes, ctx);
  }

  onGap(dir: Dir, _bytes: number, ctx: SessionContext): void {
    if (dir === this.requestDir) this.requestGap = true;
    ctx.count("modbus.gap");
  }

  onTick(ctx: SessionContext): void {
    const limit = ctx.ts - MODBUS_TRANSACTION_TIMEOUT_S;
    for (const [key, request] of this.pending) {
      // Arrival order is time order, so the first request still inside the window ends the sweep.
      if (request.ts > limit) break;
      this.pending.delete(key);
      ctx.release(pendingCost(request));
      this.emit(ctx, "timeout", request, undefined, ctx.ts);
    }
  }

  onEnd(ctx: SessionContext): void {
    for (const request of this.pending.values()) {
      ctx.release(pendingCost(request));
      this.emit(ctx, "timeout", request, undefined, ctx.ts);
    }
    this.pending.clear();
  }

  private onRequest(bytes: Uint8Array, ctx: SessionContext): void {
    const request = decodeAdu(bytes, true, -1, ctx.frame, ctx.ts);
    this.report(request, this.requestDir, ctx);
    const key = (request.unit << 16) | request.tid;
    const previous = this.pending.get(key);
    if (previous !== undefined) {
      // Same (unit, tid) again before an answer: the older request will never be paired.
      this.pending.delete(key);
      ctx.release(pendingCost(previous));
      ctx.count("modbus.pending.superseded");
      this.emit(ctx, "timeout", previous, undefined, ctx.ts);
    } else if (this.pending.size >= MODBUS_MAX_PENDING) {
      // Flood of unanswered requests: give up pairing for the oldest one (reported as a timeout) so the map stays
      // bounded while every request still comes out as an event.
      if (!this.flooded) {
        this.flooded = true;
        ctx.weird("flooded", `more than ${MODBUS_MAX_PENDING} unanswered requests`, this.requestDir);
      }
      ctx.count("modbus.pending.flooded");
      const oldest = this.pending.first();
      if (oldest !== undefined) {
        this.pending.delete(oldest[0]);
        ctx.release(pendingCost(oldest[1]));
        this.emit(ctx, "timeout", oldest[1], undefined, ctx.ts);
      }
    }
    if (!ctx.reserve(pendingCost(request))) {
      // No room to keep it for pairing: reported now, unpaired, so detectors still see the request.
      if (!this.starved) {
        this.starved = true;
        ctx.weird("budget", `session budget spent: tid ${request.tid} unit ${request.unit} not kept for pairing`, this.requestDir);
      }
      ctx.count("modbus.pending.budget");
      this.emit(ctx, "timeout", request, undefined, ctx.ts);
      return;
    }
    this.pending.set(key, request);
  }

  private onResponse(bytes: Uint8Array, ctx: SessionContext): void {
    // Peek at the MBAP key first: an FC1/FC2 response needs the request's quantity to know how many bits it holds.
    const key = bytes.length >= 7 ? (bytes[6]! << 16) | (bytes[0]! << 8) | bytes[1]! : -1;
    const request = this.pending.get(key);
    const fc = bytes.length >= 8 ? bytes[7]! : 0;
    let bitCount = -1;
    if (
      request !== undefined &&
      request.fc === fc &&
      (fc === FC.READ_COILS || fc === FC.READ_DISCRETE_INPUTS) &&
      request.quantity !== undefined
    ) {
      bitCount = request.quantity;
    }
    const response = decodeAdu(bytes, false, bitCount, ctx.frame, ctx.ts);
    const responseDir: Dir = this.requestDir === 0 ? 1 : 0;
    this.report(response, responseDir, ctx);
    if (request === undefined) {
      if (this.requestGap) ctx.count("modbus.unsolicited.after-gap");
      else if (!this.paired && ctx.ts - this.flow.startTs < MODBUS_TRANSACTION_TIMEOUT_S) {
        // Monitoring started mid-connection: answers to requests sent before the flow was first seen are expected
        // until the first transaction pairs (ModbusTCP.pcap opens with three such answers).
        ctx.count("modbus.unsolicited.midstream");
      } else ctx.weird("unsolicited-response", `tid ${response.tid} unit ${response.unit} fc ${response.fc}`, responseDir);
      this.emit(ctx, "unsolicited", undefined, response, ctx.ts);
      return;
    }
    this.pending.delete(key);
    ctx.release(pendingCost(request));
    this.requestGap = false;
    this.paired = true;
    if ((request.fc & 0x7f) !== (response.fc & 0x7f)) {
      ctx.weird("function-mismatch", `request fc ${request.fc}, response fc ${response.fc}`, responseDir);
    }
    this.emit(ctx, response.fc & EXCEPTION_BIT ? "exception" : "ok", request, response, ctx.ts);
  }

  /** Out-of-spec fields become weird events; the PDU is still delivered. */
  private report(pdu: ModbusPdu, dir: Dir, ctx: SessionContext): void {
    const issues = pdu.issues;
    if (issues === undefined) return;
    let malformed = "";
    for (const issue of issues) {
      if (issue === OWN_WEIRD) ctx.weird("protocol-id", `protocol id ${pdu.protocolId}`, dir);
      else malformed += malformed === "" ? issue : `,${issue}`;
    }
    if (malformed !== "") ctx.weird("malformed", `fc ${pdu.fc} tid ${pdu.tid}: ${malformed}`, dir);
  }

  private emit(ctx: SessionContext, status: Status, request: ModbusPdu | undefined, response: ModbusPdu | undefined, ts: Ts): void {
    const first = (request ?? response)!;
    const flow = this.flow;
    const swap = this.requestDir === 1;
    // One literal with every key (undefined when absent) keeps a single object shape on the hot path.
    const event: ModbusTransactionEvent = {
      type: "modbus",
      ts,
      frame: first.frame,
      flow: flow.id,
      src: swap ? flow.server : flow.client,
      sport: swap ? flow.serverPort : flow.clientPort,
      dst: swap ? flow.client : flow.server,
      dport: swap ? flow.clientPort : flow.serverPort,
      tid: first.tid,
      unit: first.unit,
      fc: first.fc & 0x7f,
      fcName: functionName(first.fc),
      status,
      exception: response?.exception,
      request,
      response,
      rtt: request !== undefined && response !== undefined ? response.ts - request.ts : undefined,
    };
    ctx.emit(event);
  }
}

/** Estimated bytes a pending request holds (a pure function of the decoded request, so reserve and release agree). */
function pendingCost(pdu: ModbusPdu): number {
  return MODBUS_PENDING_ENTRY_BYTES + MODBUS_PENDING_BYTES_PER_VALUE * (pdu.values?.length ?? 0) +
    MODBUS_PENDING_BYTES_PER_RECORD * ((pdu.records?.length ?? 0) + (pdu.objects?.length ?? 0));
}
