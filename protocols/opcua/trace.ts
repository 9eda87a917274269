// Test-only tracing hook: when a tracer is installed, every UA TCP message the session handles is reported with the
// fields Wireshark shows for it (conformance tests compare them frame by frame). Production never installs one; the
// cost is one undefined check per message.

import type { Dir } from "../../src/core/types.ts";
import type { MessageType } from "./constants.ts";
import type { OpcuaServiceDetails } from "./events.ts";
import type { ChunkType, Hello } from "./transport.ts";
import type { NodeIdTrace } from "./types/cursor.ts";

export interface OpcuaTraceRecord {
  frame: number;
  dir: Dir;
  type: MessageType;
  chunk: ChunkType;
  size: number;
  channelId?: number;
  policyUri?: string;
  tokenId?: number;
  sequenceNumber?: number;
  requestId?: number;
  /** Service binary encoding id (Wireshark's opcua.servicenodeid.numeric). */
  typeId?: number;
  requestHandle?: number;
  serviceResult?: number;
  /** OPN request: SecurityTokenRequestType and MessageSecurityMode. */
  requestType?: number;
  securityMode?: number;
  details?: OpcuaServiceDetails;
  nodeIds?: NodeIdTrace[];
  statusCodes?: number[];
  /** ExtensionObject bodies or service bodies not walked: NodeIds inside them are not in nodeIds. */
  skipped?: number;
  malformed?: string;
  hello?: Hello;
  error?: { error: number; reason: string };
}

export type OpcuaTracer = (r: OpcuaTraceRecord) => void;

let current: OpcuaTracer | undefined;

export function setOpcuaTracer(t: OpcuaTracer | undefined): void {
  current = t;
}

export function opcuaTracer(): OpcuaTracer | undefined {
  return current;
}
