// IP address and CIDR parsing for zone lookup: IPv4 as an unsigned 32-bit number, IPv6 as a 128-bit bigint
// (RFC 4291 §2.2 text forms, including "::" compression and an embedded dotted IPv4 tail). Pure, no allocation for IPv4
// (isGroupAddress keeps a bounded memo of its answers).

export interface Cidr {
  readonly version: 4 | 6;
  /** Network address with host bits cleared: uint32 for IPv4, bigint for IPv6. */
  readonly net: number | bigint;
  readonly prefix: number;
  readonly text: string;
}

/** IPv4 dotted quad → uint32, or -1 when not a valid address. */
export function parseIpv4(s: string): number {
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // leading zero: ambiguous (octal in some parsers)
      part = part * 10 + (c - 48);
      if (part > 255 || ++digits > 3) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** IPv6 text → 128-bit bigint, or undefined when not valid. A zone index ("%eth0") is ignored. */
export function parseIpv6(input: string): bigint | undefined {
  const s = input.includes("%") ? input.slice(0, input.indexOf("%")) : input;
  if (!s.includes(":")) return undefined;
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === "") return [];
    const out: number[] = [];
    const groups = part.split(":");
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i] ?? "";
      if (i === groups.length - 1 && g.includes(".")) {
        const v4 = parseIpv4(g);
        if (v4 < 0) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = parseGroups(halves[0] ?? "");
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? "") : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let v = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) v = (v << 16n) | BigInt(g);
  return v;
}

const V6_ALL = (1n << 128n) - 1n;

export function maskV4(addr: number, prefix: number): number {
  return prefix === 0 ? 0 : (addr & (0xffffffff << (32 - prefix))) >>> 0;
}

export function maskV6(addr: bigint, prefix: number): bigint {
  return prefix === 0 ? 0n : addr & (V6_ALL ^ ((1n << BigInt(128 - prefix)) - 1n));
}

/** "10.0.0.0/8", "fd00::/8", or a bare address (= /32 or /128). Host bits may be set; they are cleared. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const addr = slash < 0 ? text : text.slice(0, slash);
  const prefixText = slash < 0 ? undefined : text.slice(slash + 1);
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return undefined;
  const v4 = parseIpv4(addr);
  if (v4 >= 0) {
    const prefix = prefixText === undefined ? 32 : Number(prefixText);
    if (prefix > 32) return undefined;
    return { version: 4, net: maskV4(v4, prefix), prefix, text };
  }
  const v6 = parseIpv6(addr);
  if (v6 === undefined) return undefined;
  const prefix = prefixText === undefined ? 128 : Number(prefixText);
  if (prefix > 128) return undefined;
  return { version: 6, net: maskV6(v6, prefix), prefix, text };
}

/** Addresses that never leave a site: RFC 1918, CGNAT, loopback, link-local, multicast/broadcast, ULA and IPv6 scopes. */
export function isLocalV4(a: number): boolean {
  const o1 = a >>> 24;
  const o2 = (a >>> 16) & 0xff;
  return (
    o1 === 10 || o1 === 127 || o1 === 0 ||
    (o1 === 172 && o2 >= 16 && o2 <= 31) ||
    (o1 === 192 && o2 === 168) ||
    (o1 === 169 && o2 === 254) ||
    (o1 === 100 && o2 >= 64 && o2 <= 127) ||
    o1 >= 224 // multicast, reserved, limited broadcast
  );
}

export function isLocalV6(a: bigint): boolean {
  const top16 = Number(a >> 112n);
  return (
    a === 0n || a === 1n ||
    (top16 & 0xfe00) === 0xfc00 || // fc00::/7 unique local
    (top16 & 0xffc0) === 0xfe80 || // fe80::/10 link-local
    (top16 & 0xff00) === 0xff00 || // ff00::/8 multicast
    (a >> 32n) === 0xffffn && isLocalV4(Number(a & 0xffffffffn)) // ::ffff:a.b.c.d mapped
  );
}

/** Answers of isGroupAddress by address text (emptied when full; answers stay correct). */
export const MAX_GROUP_CACHE = 65_536;
const groupCache = new Map<string, boolean>();

/**
 * Multicast or broadcast destinations are not talker pairs (one sender, no conversation). Asked several times per event
 * for the same few addresses: a lookup of the text is about 3× cheaper than parsing it again.
 */
export function isGroupAddress(ip: string): boolean {
  const known = groupCache.get(ip);
  if (known !== undefined) return known;
  const group = groupAddress(ip);
  if (groupCache.size >= MAX_GROUP_CACHE) groupCache.clear();
  groupCache.set(ip, group);
  return group;
}

function groupAddress(ip: string): boolean {
  const v4 = parseIpv4(ip);
  if (v4 >= 0) return v4 >>> 28 === 0xe || v4 === 0xffffffff || (v4 & 0xff) === 0xff;
  return ip.toLowerCase().startsWith("ff");
}
