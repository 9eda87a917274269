// What the network analyzer learns (issue 3 §3 network) and the flow facts it judges: hosts with their MACs, talker
// pairs (client>server) with their services, and zone crossings "from>to>service". JSON-serialisable, sorted, versioned.

import { z } from "zod";
import type { FlowEndEvent, FlowStartEvent } from "../core/types.ts";
import { serviceName, wellKnownService } from "./services.ts";

export const NETWORK_MODEL_VERSION = 1;

export const networkModelSchema = z.strictObject({
  version: z.literal(NETWORK_MODEL_VERSION),
  /** IP → source MACs seen while learning (sorted; empty when no Ethernet header was seen). */
  hosts: z.record(z.string(), z.array(z.string())),
  /** "client>server" → services, for pairs with at least one OT end and no IT/internet end. */
  pairs: z.record(z.string(), z.array(z.string())),
  /** "fromZone>toZone>service", sorted. */
  crossings: z.array(z.string()),
});

export type NetworkModel = z.infer<typeof networkModelSchema>;

export function emptyNetworkModel(): NetworkModel {
  return { version: NETWORK_MODEL_VERSION, hosts: {}, pairs: {}, crossings: [] };
}

export interface FlowFacts {
  client: string;
  server: string;
  transport: "tcp" | "udp";
  /** Server port. */
  port: number;
  service: string;
  rejected: boolean;
  frame: number;
  /** Packet time the flow started. */
  ts: number;
}

/**
 * Client/server roles and the service of a flow. The pipeline's roles are kept, except when no dissector named the
 * service and only the "client" port is well known (a UDP reply or a mid-stream TCP flow seen from the server's side):
 * then the roles are swapped, so a reply from DNS port 53 to an ephemeral port is not "a new service on port 51234".
 */
export function flowFacts(e: FlowStartEvent | FlowEndEvent, rejected: boolean): FlowFacts | undefined {
  if (e.transport !== "tcp" && e.transport !== "udp") return undefined;
  const maySwap = !e.service && (e.transport === "udp" || e.midstream);
  if (maySwap && !wellKnownService(e.transport, e.dport) && wellKnownService(e.transport, e.sport) && e.dport >= 1024) {
    return { client: e.dst, server: e.src, transport: e.transport, port: e.sport, service: serviceName(e.transport, e.sport),
      rejected, frame: e.frame, ts: e.type === "flow.end" ? e.startTs : e.ts };
  }
  return { client: e.src, server: e.dst, transport: e.transport, port: e.dport,
    service: serviceName(e.transport, e.dport, e.service), rejected, frame: e.frame,
    ts: e.type === "flow.end" ? e.startTs : e.ts };
}

/** 2700 → "45 min", 7200 → "2 h", 259200 → "3 d" (for summaries). */
export function formatSeconds(s: number): string {
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 360) / 10} h`;
  return `${Math.round(s / 8640) / 10} d`;
}
