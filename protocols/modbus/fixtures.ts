// Test helpers: builds ADUs from annotated hex so fixtures read field by field, as in Suricata's and mqtt-packet's tests.

/** Joins hex fragments ("00 01", "ff") into bytes; whitespace is ignored. */
export function hex(...parts: string[]): Uint8Array {
  const s = parts.join("").replace(/\s+/g, "");
  if (s.length % 2 !== 0 || /[^0-9a-fA-F]/.test(s)) throw new Error(`bad hex fixture: ${s}`);
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** An ADU: MBAP header (tid, protocol id 0, computed length, unit) + PDU given as hex (function code first). */
export function adu(tid: number, unit: number, pdu: string, protocolId = 0): Uint8Array {
  const body = hex(pdu);
  const out = new Uint8Array(7 + body.length);
  const len = body.length + 1;
  out.set([tid >> 8, tid & 0xff, protocolId >> 8, protocolId & 0xff, len >> 8, len & 0xff, unit], 0);
  out.set(body, 7);
  return out;
}

/** ASCII text as hex, for FC43/14 object values. */
export function ascii(text: string): string {
  return [...text].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}
