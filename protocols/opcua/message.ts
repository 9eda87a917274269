// Decodes one assembled OPN/MSG/CLO message body (OPC UA Part 6 §6.7.2.1: the body starts with the NodeId of the
// encoded type, §5.2.2.15) into its service, header fields and details. Lenient: a body that ends early keeps what was
// decoded and reports `malformed`.

import type { OpcuaServiceDetails } from "./events.ts";
import { lookupService, type ServiceEntry } from "./services/registry.ts";
import { SERVICE_FAULT_ID } from "./services/service-fault.ts";
import {
  CLOSE_SECURE_CHANNEL_REQUEST, OPEN_SECURE_CHANNEL_REQUEST, OPEN_SECURE_CHANNEL_RESPONSE, readOpenRequest, readOpenResponse,
  type OpenRequest, type OpenResponse,
} from "./services/open-secure-channel.ts";
import { Cursor, DecodeError, type NodeIdTrace } from "./types/cursor.ts";
import { readRequestHeader, readResponseHeader } from "./types/headers.ts";
import { readNodeIdNumeric } from "./types/node-id.ts";

export interface DecodedMessage {
  typeId: number;
  entry: ServiceEntry | undefined;
  kind: "request" | "response" | "unknown";
  requestHandle: number | undefined;
  serviceResult: number | undefined;
  details: OpcuaServiceDetails | undefined;
  openRequest: OpenRequest | undefined;
  openResponse: OpenResponse | undefined;
  malformed: string | undefined;
  nodeIds: NodeIdTrace[] | undefined;
  statusCodes: number[] | undefined;
  skipped: number;
}

export function newDecodedMessage(): DecodedMessage {
  return {
    typeId: -1, entry: undefined, kind: "unknown", requestHandle: undefined, serviceResult: undefined, details: undefined,
    openRequest: undefined, openResponse: undefined, malformed: undefined, nodeIds: undefined, statusCodes: undefined,
    skipped: 0,
  };
}

/**
 * The body is `body` from offset `start` (a session passes the whole chunk and where its body begins: no view per message).
 * `cursor` and `out`, when given, are reset and reused (one each per session) instead of allocated per message: the
 * result is then valid until the next call with the same `out` (what must outlive it — details — is a new object).
 */
export function decodeMessage(body: Uint8Array, trace: boolean, cursor?: Cursor, out?: DecodedMessage, start = 0): DecodedMessage {
  const c = (cursor ?? new Cursor(body)).reset(body, start);
  let m: DecodedMessage;
  if (out === undefined) m = newDecodedMessage();
  else {
    m = out;
    m.typeId = -1;
    m.entry = undefined;
    m.kind = "unknown";
    m.requestHandle = undefined;
    m.serviceResult = undefined;
    m.details = undefined;
    m.openRequest = undefined;
    m.openResponse = undefined;
    m.malformed = undefined;
    m.nodeIds = undefined;
    m.statusCodes = undefined;
    m.skipped = 0;
  }
  try {
    m.typeId = readNodeIdNumeric(c);
    if (trace) {
      m.nodeIds = c.trace = [];
      m.statusCodes = c.statusTrace = [];
    }
    m.entry = lookupService(m.typeId);
    const isRequest = m.entry?.kind === "request" || m.typeId === OPEN_SECURE_CHANNEL_REQUEST ||
      m.typeId === CLOSE_SECURE_CHANNEL_REQUEST;
    const isResponse = m.entry?.kind === "response" || m.typeId === SERVICE_FAULT_ID;
    if (isRequest) {
      m.kind = "request";
      m.requestHandle = readRequestHeader(c);
      if (m.typeId === OPEN_SECURE_CHANNEL_REQUEST) m.openRequest = readOpenRequest(c);
      else if (m.entry?.decode) m.entry.decode(c, (m.details = {}));
      else if (m.typeId !== CLOSE_SECURE_CHANNEL_REQUEST && c.remaining > 0) c.skipped++;
    } else if (isResponse) {
      m.kind = "response";
      const h = readResponseHeader(c);
      m.requestHandle = h.requestHandle;
      m.serviceResult = h.serviceResult;
      if (m.typeId === OPEN_SECURE_CHANNEL_RESPONSE) m.openResponse = readOpenResponse(c);
      else if (m.entry?.decode) m.entry.decode(c, (m.details = {}));
      else if (m.typeId !== SERVICE_FAULT_ID && c.remaining > 0) c.skipped++;
    } else {
      c.skipped++;
    }
  } catch (e) {
    if (!(e instanceof DecodeError)) throw e;
    m.malformed = e.message;
  }
  m.skipped = c.skipped;
  return m;
}
