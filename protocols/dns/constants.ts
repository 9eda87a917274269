// DNS mnemonics: RR types (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891, RFC 9460, IANA "DNS Parameters") and RCODEs
// (RFC 1035 §4.1.1, RFC 2136, RFC 6895). Used for event names only; unknown numbers print as TYPE<n> / RCODE<n>.

export const DNS_PORT = 53;

const RR_TYPES: Readonly<Record<number, string>> = {
  1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 10: "NULL", 12: "PTR", 13: "HINFO", 15: "MX", 16: "TXT", 17: "RP",
  18: "AFSDB", 24: "SIG", 25: "KEY", 28: "AAAA", 29: "LOC", 33: "SRV", 35: "NAPTR", 39: "DNAME", 41: "OPT",
  43: "DS", 46: "RRSIG", 47: "NSEC", 48: "DNSKEY", 50: "NSEC3", 52: "TLSA", 64: "SVCB", 65: "HTTPS",
  99: "SPF", 251: "IXFR", 252: "AXFR", 255: "ANY", 256: "URI", 257: "CAA",
};

const RCODES: Readonly<Record<number, string>> = {
  0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
  7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE",
};

export const RR_A = 1;
export const RR_NS = 2;
export const RR_CNAME = 5;
export const RR_NULL = 10;
export const RR_PTR = 12;
export const RR_MX = 15;
export const RR_TXT = 16;
export const RR_AAAA = 28;

export function nameRrType(t: number): string {
  return RR_TYPES[t] ?? `TYPE${t}`;
}

export function nameRcode(r: number): string {
  return RCODES[r] ?? `RCODE${r}`;
}
