// Text forms of addresses, built once per flow (never per packet): IPv4 dotted quad, IPv6 per RFC 5952 §4 (lowercase,
// no leading zeros, the longest run of two or more zero groups — the first on a tie — as "::"), MAC as colon hex.
// IPv4-mapped and IPv4-compatible IPv6 addresses keep the dotted tail, as Wireshark's ipv6.src text does (checked
// against tshark in format.test.ts).

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function formatMac(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (i ? ":" : "") + HEX[b[i]!];
  return s;
}

export function formatIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) return formatMac(b);
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  // Dotted tail for IPv4-compatible (::a.b.c.d, exactly six leading zero groups) and IPv4-mapped (::ffff:a.b.c.d),
  // the rule of Wireshark's address formatter (so "::2" stays hex but "::0.1.0.0" is dotted, as tshark prints them).
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && g[5] === 0xffff))) {
    return `::${bestLen === 5 ? "ffff:" : ""}${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(":");
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(":");
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(":");
  return `${head}::${tail}`;
}
