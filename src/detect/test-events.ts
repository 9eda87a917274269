// Crafted core events for detection tests (flow.start / flow.end / arp), with sensible defaults and packet times.
import type { ArpEvent, EventBase, FlowEndEvent, FlowStartEvent } from "../core/types.ts";

let seq = 0;

export interface FlowSpec {
  ts: number;
  src: string;
  dst: string;
  dport: number;
  sport?: number;
  transport?: "tcp" | "udp";
  service?: string;
  srcMac?: string;
  dstMac?: string;
  flow?: string;
  midstream?: boolean;
}

export function flowStart(s: FlowSpec): FlowStartEvent {
  return {
    type: "flow.start", ts: s.ts, frame: ++seq, flow: s.flow ?? `F${seq.toString(36)}`, src: s.src, sport: s.sport ?? 40000 + (seq % 20000),
    dst: s.dst, dport: s.dport, transport: s.transport ?? "tcp", service: s.service, srcMac: s.srcMac, dstMac: s.dstMac,
    midstream: s.midstream ?? false,
  };
}

export function flowEnd(start: FlowStartEvent, endTs: number, opts: Partial<FlowEndEvent> = {}): FlowEndEvent {
  return {
    type: "flow.end", ts: endTs, frame: ++seq, flow: start.flow, src: start.src, sport: start.sport, dst: start.dst, dport: start.dport,
    transport: start.transport, service: start.service, reason: "fin", duration: endTs - start.ts, pktsToServer: 5, pktsToClient: 5,
    bytesToServer: 300, bytesToClient: 300, startTs: start.ts, established: true, rejected: false, midstream: start.midstream, ...opts,
  };
}

export function arp(ts: number, senderIp: string, senderMac: string, targetIp = "0.0.0.0"): ArpEvent {
  return {
    type: "arp", ts, frame: ++seq, flow: "", src: senderIp, sport: 0, dst: targetIp, dport: 0, op: 1, senderMac, senderIp,
    targetMac: "00:00:00:00:00:00", targetIp,
  };
}

/** A protocol transaction event (shape only: type, status, src = client, dst = server). */
export function transaction(type: string, ts: number, src: string, dst: string, dport: number, extra: Record<string, unknown> = {}): EventBase {
  return { type, ts, frame: ++seq, flow: "Fx", src, sport: 40001, dst, dport, status: "ok", ...extra } as EventBase;
}
