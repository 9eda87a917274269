// TLS client/server fingerprints. JA3/JA3S (Salesforce, 2017): decimal fields joined by "-", groups by ",", GREASE
// (RFC 8701) removed, md5 of the string — Wireshark's tls.handshake.ja3_full / ja3 / ja3s. JA4 (FoxIO JA4+ spec,
// "JA4: TLS Client Fingerprint"): a_b_c with a = proto, version, SNI flag, cipher and extension counts, ALPN ends;
// b = sha256 of sorted cipher hex; c = sha256 of sorted extension hex (no SNI/ALPN) "_" signature algorithms.

import { createHash } from "node:crypto";
import { EXT_ALPN, EXT_SERVER_NAME, isGrease, type ClientHello, type ServerHello } from "./wire.ts";

export function computeJa3(ch: ClientHello): string {
  const keep = (l: readonly number[]): string => l.filter((v) => !isGrease(v)).join("-");
  return [ch.version, keep(ch.cipherSuites), keep(ch.extensions), keep(ch.supportedGroups), ch.ecPointFormats.join("-")].join(",");
}

export function computeJa3s(sh: ServerHello): string {
  return [sh.version, sh.cipherSuite, sh.extensions.filter((v) => !isGrease(v)).join("-")].join(",");
}

export function md5Hex(s: string): string {
  return createHash("md5").update(s).digest("hex");
}

function sha12(s: string): string {
  return createHash("sha256").update(s).digest("hex").slice(0, 12);
}

const JA4_VERSIONS: Readonly<Record<number, string>> = {
  0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2",
  0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3",
};

function hex4(v: number): string {
  return v.toString(16).padStart(4, "0");
}

function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function alpnChars(first: string | undefined): string {
  if (first === undefined || first.length === 0) return "00";
  const a = first.charCodeAt(0);
  const z = first.charCodeAt(first.length - 1);
  if (isAlnum(a) && isAlnum(z)) return first[0]! + first[first.length - 1]!;
  const h = Buffer.from(first, "latin1").toString("hex");
  return h[0]! + h[h.length - 1]!;
}

/** JA4 for a ClientHello seen over TCP. */
export function computeJa4(ch: ClientHello): string {
  const ciphers = ch.cipherSuites.filter((v) => !isGrease(v));
  const exts = ch.extensions.filter((v) => !isGrease(v));
  const top = ch.supportedVersions.length > 0 ? Math.max(...ch.supportedVersions) : ch.version;
  const a =
    "t" +
    (JA4_VERSIONS[top] ?? "00") +
    (exts.includes(EXT_SERVER_NAME) ? "d" : "i") +
    String(Math.min(ciphers.length, 99)).padStart(2, "0") +
    String(Math.min(exts.length, 99)).padStart(2, "0") +
    alpnChars(ch.alpn[0]);
  const b = ciphers.length === 0 ? "000000000000" : sha12(ciphers.map(hex4).sort().join(","));
  const extList = exts.filter((v) => v !== EXT_SERVER_NAME && v !== EXT_ALPN).map(hex4).sort().join(",");
  const sigs = ch.signatureAlgorithms.filter((v) => !isGrease(v)).map(hex4).join(",");
  const c = exts.length === 0 ? "000000000000" : sha12(sigs === "" ? extList : `${extList}_${sigs}`);
  return `${a}_${b}_${c}`;
}
