// DNS message decoder (RFC 1035 §4.1: header, question, resource records; §4.1.4 message compression). Pure and
// lenient: a truncated or out-of-spec message decodes as far as it can and lists what was wrong in `issues`.
// Name decompression is bounded (pointer hops, name length, label count) so hostile pointer loops cannot spin.

import { RR_A, RR_AAAA, RR_CNAME, RR_MX, RR_NS, RR_PTR, RR_TXT } from "./constants.ts";

export const DNS_HEADER_LEN = 12;
/** Pointer hops allowed while decoding one name (a loop shows up as more hops than any valid name needs). */
export const DNS_MAX_POINTER_HOPS = 64;
/** RFC 1035 §2.3.4: 255 octets on the wire, i.e. at most 253 characters of text. */
export const DNS_MAX_NAME_LEN = 255;
/** Records decoded per section; the rest are counted but skipped. */
export const DNS_MAX_RECORDS = 64;
/** Bytes of RDATA rendered for unknown types / TXT. */
export const DNS_MAX_RDATA_TEXT = 256;

export interface DnsQuestion {
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  readonly class: number;
  readonly ttl: number;
  readonly data: string;
}

export interface DnsMessage {
  readonly id: number;
  readonly qr: boolean;
  readonly opcode: number;
  readonly aa: boolean;
  readonly tc: boolean;
  readonly rd: boolean;
  readonly ra: boolean;
  readonly rcode: number;
  readonly qdcount: number;
  readonly ancount: number;
  readonly nscount: number;
  readonly arcount: number;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  /** Lenient-decoding flags: "short-header", "truncated", "bad-name", "pointer-loop", "name-too-long", "trailing-bytes"… */
  readonly issues: readonly string[];
}

interface NameResult {
  name: string;
  /** Offset just after the name in the original position (after the first pointer, if any). */
  next: number;
  issue: string | undefined;
}

/** Decodes a (possibly compressed) domain name starting at `off`. Lower-cases; no trailing dot; "" is the root. */
export function decodeName(msg: Uint8Array, off: number): NameResult {
  const labels: string[] = [];
  let pos = off;
  let next = -1;
  let hops = 0;
  let wireLen = 0;
  for (;;) {
    if (pos >= msg.length) return { name: labels.join("."), next: next < 0 ? msg.length : next, issue: "truncated" };
    const len = msg[pos] ?? 0;
    if (len === 0) {
      if (next < 0) next = pos + 1;
      break;
    }
    const kind = len & 0xc0;
    if (kind === 0xc0) {
      if (pos + 1 >= msg.length) return { name: labels.join("."), next: msg.length, issue: "truncated" };
      const target = ((len & 0x3f) << 8) | (msg[pos + 1] ?? 0);
      if (next < 0) next = pos + 2;
      if (++hops > DNS_MAX_POINTER_HOPS || target >= msg.length) {
        return { name: labels.join("."), next, issue: "pointer-loop" };
      }
      pos = target;
      continue;
    }
    if (kind !== 0) return { name: labels.join("."), next: next < 0 ? pos + 1 : next, issue: "bad-name" };
    wireLen += len + 1;
    if (wireLen > DNS_MAX_NAME_LEN) return { name: labels.join("."), next: next < 0 ? pos : next, issue: "name-too-long" };
    const end = pos + 1 + len;
    if (end > msg.length) return { name: labels.join("."), next: msg.length, issue: "truncated" };
    labels.push(decodeLabel(msg, pos + 1, end));
    pos = end;
  }
  return { name: labels.join("."), next, issue: undefined };
}

/** Label text: printable ASCII kept (lower-cased), other bytes escaped as \DDD like Wireshark/dig. */
function decodeLabel(msg: Uint8Array, start: number, end: number): string {
  let s = "";
  for (let i = start; i < end; i++) {
    let c = msg[i] ?? 0;
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c > 0x20 && c < 0x7f && c !== 0x2e && c !== 0x5c) s += String.fromCharCode(c);
    else s += "\\" + String(c).padStart(3, "0");
  }
  return s;
}

function u16(b: Uint8Array, o: number): number {
  return ((b[o] ?? 0) << 8) | (b[o + 1] ?? 0);
}

function u32(b: Uint8Array, o: number): number {
  return (((b[o] ?? 0) << 24) >>> 0) + (((b[o + 1] ?? 0) << 16) | ((b[o + 2] ?? 0) << 8) | (b[o + 3] ?? 0));
}

function hex(b: Uint8Array): string {
  let s = "";
  const n = Math.min(b.length, DNS_MAX_RDATA_TEXT);
  for (let i = 0; i < n; i++) s += (b[i] ?? 0).toString(16).padStart(2, "0");
  return s;
}

function renderRdata(msg: Uint8Array, type: number, start: number, len: number): string {
  const rd = msg.subarray(start, start + len);
  switch (type) {
    case RR_A:
      return rd.length === 4 ? `${rd[0]}.${rd[1]}.${rd[2]}.${rd[3]}` : hex(rd);
    case RR_AAAA: {
      if (rd.length !== 16) return hex(rd);
      const parts: string[] = [];
      for (let i = 0; i < 16; i += 2) parts.push(u16(rd, i).toString(16));
      return compressIpv6(parts);
    }
    case RR_CNAME:
    case RR_NS:
    case RR_PTR:
      return decodeName(msg, start).name;
    case RR_MX:
      return len >= 3 ? decodeName(msg, start + 2).name : hex(rd);
    case RR_TXT: {
      const strs: string[] = [];
      let p = 0;
      while (p < rd.length) {
        const l = rd[p] ?? 0;
        strs.push(Buffer.from(rd.subarray(p + 1, p + 1 + l)).toString("latin1"));
        p += 1 + l;
      }
      return strs.join("").slice(0, DNS_MAX_RDATA_TEXT);
    }
    default:
      return hex(rd);
  }
}

/** RFC 5952 text form: longest run of zero groups (length ≥ 2) becomes "::". */
function compressIpv6(groups: string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < groups.length; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return groups.join(":");
  return groups.slice(0, best).join(":") + "::" + groups.slice(best + bestLen).join(":");
}

/** Decodes a DNS message (UDP payload, or a TCP message without its 2-byte length prefix). */
export function decodeDnsMessage(msg: Uint8Array): DnsMessage {
  const issues: string[] = [];
  const flags = u16(msg, 2);
  const head = {
    id: u16(msg, 0),
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    aa: (flags & 0x0400) !== 0,
    tc: (flags & 0x0200) !== 0,
    rd: (flags & 0x0100) !== 0,
    ra: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    qdcount: u16(msg, 4),
    ancount: u16(msg, 6),
    nscount: u16(msg, 8),
    arcount: u16(msg, 10),
  };
  const questions: DnsQuestion[] = [];
  const answers: DnsRecord[] = [];
  if (msg.length < DNS_HEADER_LEN) {
    issues.push("short-header");
    return { ...head, questions, answers, issues };
  }
  let off = DNS_HEADER_LEN;
  const note = (issue: string | undefined): void => {
    if (issue !== undefined && !issues.includes(issue)) issues.push(issue);
  };
  for (let i = 0; i < head.qdcount; i++) {
    if (off >= msg.length) {
      note("truncated");
      break;
    }
    const n = decodeName(msg, off);
    note(n.issue);
    if (n.next + 4 > msg.length) {
      note("truncated");
      break;
    }
    if (questions.length < DNS_MAX_RECORDS) questions.push({ name: n.name, type: u16(msg, n.next), class: u16(msg, n.next + 2) });
    off = n.next + 4;
  }
  const rrTotal = head.ancount + head.nscount + head.arcount;
  for (let i = 0; i < rrTotal && !issues.includes("truncated"); i++) {
    if (off >= msg.length) {
      note("truncated");
      break;
    }
    const n = decodeName(msg, off);
    note(n.issue);
    if (n.next + 10 > msg.length) {
      note("truncated");
      break;
    }
    const type = u16(msg, n.next);
    const cls = u16(msg, n.next + 2);
    const ttl = u32(msg, n.next + 4);
    const rdlen = u16(msg, n.next + 8);
    const rdStart = n.next + 10;
    if (rdStart + rdlen > msg.length) {
      note("truncated");
      break;
    }
    if (i < head.ancount && answers.length < DNS_MAX_RECORDS) {
      answers.push({ name: n.name, type, class: cls, ttl, data: renderRdata(msg, type, rdStart, rdlen) });
    }
    off = rdStart + rdlen;
  }
  if (off < msg.length && issues.length === 0) issues.push("trailing-bytes");
  return { ...head, questions, answers, issues };
}

/** Plausibility check used by the content probe: a header whose counts and opcode make sense, and a parsable question. */
export function looksLikeDns(msg: Uint8Array): boolean {
  if (msg.length < DNS_HEADER_LEN + 5) return false;
  const flags = u16(msg, 2);
  const opcode = (flags >> 11) & 0xf;
  const qd = u16(msg, 4);
  if (opcode > 6 || qd !== 1 || (flags & 0x0040) !== 0) return false;
  if (u16(msg, 6) > 256 || u16(msg, 8) > 256 || u16(msg, 10) > 256) return false;
  const n = decodeName(msg, DNS_HEADER_LEN);
  return n.issue === undefined && n.next + 4 <= msg.length && u16(msg, n.next + 2) !== 0;
}
