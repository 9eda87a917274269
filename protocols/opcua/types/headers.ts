// RequestHeader (OPC UA Part 4 §7.33) and ResponseHeader (Part 4 §7.34), the first field of every service request and
// response body.

import type { Cursor } from "./cursor.ts";
import { readExtensionObject, skipDiagnosticInfo } from "./builtins.ts";
import { skipNodeId } from "./node-id.ts";

export interface ResponseHeader {
  requestHandle: number;
  serviceResult: number;
}

/** Returns the RequestHandle; the AuthenticationToken (a secret no event carries) is stepped over. */
export function readRequestHeader(c: Cursor): number {
  skipNodeId(c); // AuthenticationToken
  c.skip(8); // Timestamp
  const requestHandle = c.u32();
  c.skip(4); // ReturnDiagnostics
  c.skipString(); // AuditEntryId
  c.skip(4); // TimeoutHint
  readExtensionObject(c); // AdditionalHeader
  return requestHandle;
}

export function readResponseHeader(c: Cursor): ResponseHeader {
  c.skip(8); // Timestamp
  const requestHandle = c.u32();
  // ServiceResult is its own field (Wireshark's opcua.ServiceResult), not a per-operation status code.
  const serviceResult = c.u32();
  skipDiagnosticInfo(c);
  const n = c.arrayLength(4); // StringTable
  for (let i = 0; i < n; i++) c.skipString();
  readExtensionObject(c); // AdditionalHeader
  return { requestHandle, serviceResult };
}
