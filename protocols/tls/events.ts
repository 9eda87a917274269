// Events the TLS dissector emits: one per ClientHello and one per ServerHello. The shapes live in
// src/detect/behaviour/types.ts so the behaviour analyzers can read them without importing protocols/.

export type { TlsClientHelloEvent, TlsServerHelloEvent } from "../../src/detect/behaviour/types.ts";
export { TLS_CLIENT_HELLO_EVENT, TLS_SERVER_HELLO_EVENT } from "../../src/detect/behaviour/types.ts";
