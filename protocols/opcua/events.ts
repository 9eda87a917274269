// Events the OPC UA binary (UA TCP) dissector emits: one event per service call (request paired with response by request
// id), one per secure-channel action, one per HEL/ACK handshake and per ERR, and metadata for messages that cannot be
// decoded (signed or encrypted channels). NodeIds are in the OPC UA text form: "i=2258", "ns=1;s=Line2.Speed",
// "ns=2;g=…", "ns=3;b=…" (Part 6 §5.3.1.10).

import type { EventBase } from "../../src/core/types.ts";

export type OpcuaSecurityMode = "None" | "Sign" | "SignAndEncrypt" | "Invalid" | "unknown";

/** A Variant rendered for evidence: built-in type name and value as text (arrays as JSON text, bounded). */
export interface OpcuaValue {
  readonly type: string;
  readonly value: string;
}

/** What a service call carried, by service. Only the keys a service defines are present. */
export interface OpcuaServiceDetails {
  /** Every NodeId the request names as an operand (Read/Write/Browse/Call/TranslateBrowsePaths/monitored items …). */
  readonly nodes?: readonly string[];
  readonly attributes?: readonly number[];
  readonly writes?: readonly { readonly node: string; readonly attribute: number; readonly value: OpcuaValue }[];
  readonly calls?: readonly { readonly object: string; readonly method: string; readonly args: readonly OpcuaValue[] }[];
  /** Read results (response): value per node in request order. */
  readonly values?: readonly OpcuaValue[];
  /** Per-operation status codes of the response (Read/Write/Call/Browse results …). */
  readonly results?: readonly number[];
  /** CreateSession / GetEndpoints / FindServers. */
  readonly endpointUrl?: string;
  readonly clientUri?: string;
  readonly serverUri?: string;
  readonly productUri?: string;
  readonly applicationName?: string;
  readonly sessionName?: string;
  readonly clientCertThumbprint?: string;
  readonly endpoints?: readonly { readonly url: string; readonly policy: string; readonly mode: OpcuaSecurityMode }[];
  /** ActivateSession. */
  readonly identityToken?: "anonymous" | "username" | "certificate" | "issued" | "unknown";
  readonly userName?: string;
  readonly policyId?: string;
  /** Subscriptions. */
  readonly subscriptionId?: number;
  readonly publishingInterval?: number;
  readonly itemCount?: number;
  /** Browse/BrowseNext: references returned in total. */
  readonly referenceCount?: number;
}

export interface OpcuaServiceEvent extends EventBase {
  readonly type: "opcua.service";
  readonly channelId: number;
  readonly tokenId: number;
  readonly requestId: number;
  readonly requestHandle?: number;
  readonly securityPolicy: string;
  readonly securityMode: OpcuaSecurityMode;
  /** Service name ("Read", "Write", "Browse", "Call", "CreateSession", …) or "Unknown(<id>)". */
  readonly service: string;
  /** Binary encoding ids of the request and response types (631 ReadRequest, 634 ReadResponse, 397 ServiceFault …). */
  readonly requestType?: number;
  readonly responseType?: number;
  readonly status: "ok" | "fault" | "bad" | "timeout" | "unsolicited";
  /** ResponseHeader.ServiceResult. */
  readonly serviceResult?: number;
  readonly request?: OpcuaServiceDetails;
  readonly response?: OpcuaServiceDetails;
  readonly requestFrame?: number;
  readonly responseFrame?: number;
  readonly rtt?: number;
}

/** OpenSecureChannel (issue or renew) paired with its response, or CloseSecureChannel. */
export interface OpcuaChannelEvent extends EventBase {
  readonly type: "opcua.channel";
  readonly action: "open" | "renew" | "close";
  readonly channelId: number;
  readonly tokenId: number;
  readonly securityPolicy: string;
  readonly securityMode: OpcuaSecurityMode;
  /** SHA-1 thumbprint (hex) of the sender certificate in the asymmetric security header, when present. */
  readonly clientCertThumbprint?: string;
  readonly serverCertThumbprint?: string;
  readonly requestedLifetime?: number;
  readonly serviceResult?: number;
}

/** HEL (and its ACK when seen). */
export interface OpcuaHelloEvent extends EventBase {
  readonly type: "opcua.hello";
  readonly endpointUrl: string;
  readonly protocolVersion: number;
  readonly receiveBufferSize: number;
  readonly sendBufferSize: number;
  readonly maxMessageSize: number;
  readonly maxChunkCount: number;
  readonly acknowledged: boolean;
}

export interface OpcuaErrorEvent extends EventBase {
  readonly type: "opcua.error";
  readonly error: number;
  readonly reason: string;
}

/** A MSG whose body cannot be decoded (signed/encrypted channel): metadata only. */
export interface OpcuaSecureMessageEvent extends EventBase {
  readonly type: "opcua.secure-msg";
  readonly dir: 0 | 1;
  readonly channelId: number;
  readonly tokenId: number;
  readonly size: number;
  readonly chunk: "F" | "C" | "A";
  readonly securityMode: OpcuaSecurityMode;
  readonly securityPolicy: string;
}

export type OpcuaEvent = OpcuaServiceEvent | OpcuaChannelEvent | OpcuaHelloEvent | OpcuaErrorEvent | OpcuaSecureMessageEvent;
