// Events the DNS dissector emits. The shape is declared in src/detect/behaviour/types.ts (the behaviour analyzers read
// it and src/ must not import protocols/); this module re-exports it as the DNS protocol's event contract.

export type { DnsAnswer, DnsEvent } from "../../src/detect/behaviour/types.ts";
export { DNS_EVENT } from "../../src/detect/behaviour/types.ts";
