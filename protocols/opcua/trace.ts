// Test-only tracing hook: when a tracer is installed, every UA TCP message the session handles is reported with the
// fields Wireshark shows for it (conformance tests compare them frame by frame). Production never installs one; the
// cost is one undefined check per message.

import type { Dir } from "../../src/core/types.ts";
import type { MessageType } from "./constants.ts";
import type { OpcuaServiceDetails } from "./events.ts";
import type { DecodedMessage } from "./message.ts";
import type { ChunkType, Hello, SecureChunk } from "./transport.ts";
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

/** The trace record of one OPN/MSG/CLO message (headers, and the decoded body when there is one). */
export function traceRecord(frame: number, dir: Dir, sc: SecureChunk, m?: DecodedMessage): OpcuaTraceRecord {
  const r: OpcuaTraceRecord = { frame, dir, type: sc.type, chunk: sc.chunk, size: sc.size, channelId: sc.channelId };
  if (sc.policyUri !== undefined) r.policyUri = sc.policyUri;
  if (sc.tokenId !== undefined) r.tokenId = sc.tokenId;
  if (sc.sequenceNumber !== undefined) r.sequenceNumber = sc.sequenceNumber;
  if (sc.requestId !== undefined) r.requestId = sc.requestId;
  if (!m) return r;
  if (m.typeId >= 0) r.typeId = m.typeId;
  if (m.requestHandle !== undefined) r.requestHandle = m.requestHandle;
  if (m.serviceResult !== undefined) r.serviceResult = m.serviceResult;
  if (m.openRequest) {
    r.requestType = m.openRequest.requestType;
    r.securityMode = m.openRequest.securityMode;
  }
  if (m.details) r.details = m.details;
  if (m.nodeIds) r.nodeIds = m.nodeIds;
  if (m.statusCodes) r.statusCodes = m.statusCodes;
  r.skipped = m.skipped;
  if (m.malformed !== undefined) r.malformed = m.malformed;
  return r;
}
