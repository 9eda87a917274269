// Structures shared by several services (OPC UA Part 4 §7): ApplicationDescription (§7.2), EndpointDescription (§7.14),
// UserTokenPolicy (§7.42), SignatureData (§7.37), SignedSoftwareCertificate (§7.38), ReadValueId (§7.29),
// BrowseResult/ReferenceDescription (§7.5, §7.30).

import type { OpcuaSecurityMode } from "../events.ts";
import { OPCUA_MAX_OPERANDS, securityModeName } from "../constants.ts";
import type { Cursor } from "./cursor.ts";
import { readLocalizedText, readStatusCode, skipLocalizedText, skipQualifiedName } from "./builtins.ts";
import { readNodeId, skipExpandedNodeId, skipNodeId } from "./node-id.ts";

export interface ApplicationDescription {
  uri: string;
  productUri: string;
  name: string;
}

export function readApplicationDescription(c: Cursor): ApplicationDescription {
  const uri = c.string() ?? "";
  const productUri = c.string() ?? "";
  const name = readLocalizedText(c);
  c.skip(4); // ApplicationType
  c.skipString(); // GatewayServerUri
  c.skipString(); // DiscoveryProfileUri
  const n = c.arrayLength(4); // DiscoveryUrls
  for (let i = 0; i < n; i++) c.skipString();
  return { uri, productUri, name };
}

/** An ApplicationDescription nobody keeps (the server's, inside each EndpointDescription): stepped over, no texts built. */
export function skipApplicationDescription(c: Cursor): void {
  c.skipString(); // ApplicationUri
  c.skipString(); // ProductUri
  skipLocalizedText(c); // ApplicationName
  c.skip(4); // ApplicationType
  c.skipString(); // GatewayServerUri
  c.skipString(); // DiscoveryProfileUri
  const n = c.arrayLength(4); // DiscoveryUrls
  for (let i = 0; i < n; i++) c.skipString();
}

export interface Endpoint {
  url: string;
  policy: string;
  mode: OpcuaSecurityMode;
}

export function readEndpointDescription(c: Cursor): Endpoint {
  const url = c.string() ?? "";
  skipApplicationDescription(c);
  c.skipString(); // ServerCertificate
  const mode = securityModeName(c.u32());
  const policy = c.string() ?? "";
  const n = c.arrayLength(4); // UserIdentityTokens: UserTokenPolicy
  for (let i = 0; i < n; i++) {
    c.skipString(); // PolicyId
    c.skip(4); // TokenType
    c.skipString(); // IssuedTokenType
    c.skipString(); // IssuerEndpointUrl
    c.skipString(); // SecurityPolicyUri
  }
  c.skipString(); // TransportProfileUri
  c.skip(1); // SecurityLevel
  return { url, policy, mode };
}

export function readEndpointArray(c: Cursor): Endpoint[] {
  const n = c.arrayLength(4);
  const out: Endpoint[] = [];
  for (let i = 0; i < n; i++) out.push(readEndpointDescription(c));
  return out;
}

export function skipSignatureData(c: Cursor): void {
  c.skipString(); // Algorithm
  c.skipString(); // Signature
}

export function skipSignedSoftwareCertificates(c: Cursor): void {
  const n = c.arrayLength(8);
  for (let i = 0; i < n; i++) {
    c.skipString();
    c.skipString();
  }
}

export function skipStringArray(c: Cursor): void {
  const n = c.arrayLength(4);
  for (let i = 0; i < n; i++) c.skipString();
}

/** Appends a value to a list unless it already holds OPCUA_MAX_OPERANDS entries (bounded events). Lists of objects and
 * strings only: numbers go through pushBoundedNumber, so each push site sees one kind of array (measured: a shared site
 * seeing number and object arrays was the top OPC UA self-time entry). */
export function pushBounded<T extends object | string>(list: T[], v: T): void {
  if (list.length < OPCUA_MAX_OPERANDS) list.push(v);
}

/** pushBounded for number lists (status codes, attribute ids). */
export function pushBoundedNumber(list: number[], v: number): void {
  if (list.length < OPCUA_MAX_OPERANDS) list.push(v);
}

/** ReadValueId: NodeId, AttributeId, IndexRange, DataEncoding (QualifiedName). */
export function readReadValueId(c: Cursor, nodes: string[], attributes: number[]): void {
  pushBounded(nodes, readNodeId(c));
  pushBoundedNumber(attributes, c.u32());
  c.skipString();
  skipQualifiedName(c);
}

/** BrowseResult: StatusCode, ContinuationPoint, References (ReferenceDescription[]); returns the reference count. */
export function readBrowseResult(c: Cursor, results: number[]): number {
  pushBoundedNumber(results, readStatusCode(c));
  c.skipString();
  const n = c.arrayLength(8);
  for (let i = 0; i < n; i++) {
    skipNodeId(c); // ReferenceTypeId
    c.skip(1); // IsForward
    skipExpandedNodeId(c); // NodeId
    skipQualifiedName(c); // BrowseName
    skipLocalizedText(c); // DisplayName
    c.skip(4); // NodeClass
    skipExpandedNodeId(c); // TypeDefinition
  }
  return n;
}
