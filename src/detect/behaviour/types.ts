// Event shapes the behaviour analyzers read from the IT protocol dissectors (DNS, HTTP, TLS). Declared here, in src/,
// because src/ never imports protocols/: protocols/dns|http|tls/events.ts re-export these shapes as their event types,
// so the analyzers stay protocol-module agnostic and the dissectors cannot drift from what the analyzers expect.

import type { EventBase } from "../../core/types.ts";

export const DNS_EVENT = "dns";
export const HTTP_EVENT = "http";
export const TLS_CLIENT_HELLO_EVENT = "tls.client-hello";
export const TLS_SERVER_HELLO_EVENT = "tls.server-hello";

/** One DNS resource record from the answer section (RFC 1035 §4.1.3). */
export interface DnsAnswer {
  readonly name: string;
  readonly type: number;
  readonly ttl: number;
  /** Text form: address for A/AAAA, name for CNAME/NS/PTR/MX, joined strings for TXT, hex for others (bounded). */
  readonly data: string;
}

/** A DNS transaction: a query paired with its response (or a timeout, or a response nobody asked for). */
export interface DnsEvent extends EventBase {
  readonly type: typeof DNS_EVENT;
  readonly transport: "udp" | "tcp";
  /** DNS message id (dns.id). */
  readonly id: number;
  /** First question name, lower-case, without the trailing dot (dns.qry.name). */
  readonly query: string;
  /** Question type (dns.qry.type) and its mnemonic ("A", "TXT", …). */
  readonly qtype: number;
  readonly qtypeName: string;
  readonly qclass: number;
  readonly status: "ok" | "timeout" | "unsolicited";
  /** Response code (dns.flags.rcode) and mnemonic; undefined without a response. */
  readonly rcode: number | undefined;
  readonly rcodeName: string | undefined;
  readonly answers: readonly DnsAnswer[];
  /** Size of the query / response message in bytes (0 when absent). */
  readonly queryBytes: number;
  readonly responseBytes: number;
  /** Response time in seconds of packet time. */
  readonly rtt: number | undefined;
  readonly issues?: readonly string[];
}

/** An HTTP/1.x transaction: request line and headers, paired with the response status when seen. */
export interface HttpEvent extends EventBase {
  readonly type: typeof HTTP_EVENT;
  readonly status: "ok" | "no-response" | "unsolicited";
  readonly method: string;
  /** Request target as sent (http.request.uri). */
  readonly uri: string;
  readonly version: string;
  /** Host header (http.host), lower-case; "" when absent. */
  readonly host: string;
  readonly userAgent: string;
  /** Content-Length of the request, -1 when absent (chunked or no body). */
  readonly requestContentLength: number;
  /** Body bytes actually seen in the request (counts chunked bodies too). */
  readonly requestBodyBytes: number;
  /** Response status code (http.response.code), 0 without a response. */
  readonly statusCode: number;
  readonly reason: string;
  readonly responseContentLength: number;
  readonly contentType: string;
  readonly issues?: readonly string[];
}

export interface TlsClientHelloEvent extends EventBase {
  readonly type: typeof TLS_CLIENT_HELLO_EVENT;
  /** Record-layer and ClientHello legacy versions (tls.record.version, tls.handshake.version). */
  readonly recordVersion: number;
  readonly version: number;
  /** supported_versions extension, GREASE removed (empty when absent). */
  readonly supportedVersions: readonly number[];
  /** server_name extension (tls.handshake.extensions_server_name), "" when absent. */
  readonly sni: string;
  readonly alpn: readonly string[];
  readonly cipherSuites: readonly number[];
  readonly extensions: readonly number[];
  /** JA3 string and its md5 (tls.handshake.ja3_full / tls.handshake.ja3). */
  readonly ja3: string;
  readonly ja3Hash: string;
  /** JA4 fingerprint (FoxIO JA4 TLS client). */
  readonly ja4: string;
  readonly issues?: readonly string[];
}

export interface TlsServerHelloEvent extends EventBase {
  readonly type: typeof TLS_SERVER_HELLO_EVENT;
  readonly version: number;
  /** Version negotiated via supported_versions (TLS 1.3), else the legacy version. */
  readonly selectedVersion: number;
  readonly cipherSuite: number;
  readonly alpn: string;
  readonly ja3s: string;
  readonly ja3sHash: string;
  readonly issues?: readonly string[];
}

export function isDnsEvent(e: EventBase): e is DnsEvent {
  return e.type === DNS_EVENT;
}
export function isHttpEvent(e: EventBase): e is HttpEvent {
  return e.type === HTTP_EVENT;
}
export function isTlsClientHello(e: EventBase): e is TlsClientHelloEvent {
  return e.type === TLS_CLIENT_HELLO_EVENT;
}
