// Zone map (issue 3 §1, §4 zones): longest-prefix lookup of an address in the site's Purdue zones (IPv4 as uint32,
// IPv6 as bigint, one hash map per prefix length, longest first), the "unknown"/"internet" fallback, conduit matching,
// and — with or without a config — learning that a host outside every zone which answers an industrial protocol as a
// server is OT: it joins the zone "learned-ot" at level 1. Learned hosts are part of the baseline (exportLearned).

import type { ConduitConfig, SiteConfig, ZoneConfig } from "../config/site.ts";
import type { EventBase } from "../core/types.ts";
import type { ZoneInfo } from "./types.ts";
import { isLocalV4, isLocalV6, parseCidr, parseIpv4, parseIpv6, maskV4, maskV6 } from "./ip.ts";
import { INDUSTRIAL_SERVICES, serviceMatches, serviceName } from "./services.ts";

export const LEARNED_OT_ZONE = "learned-ot";
export const LEARNED_OT_LEVEL = 1;
/** Bounds: hosts learned as OT, and memoised lookups (the cache is cleared when full; lookups stay correct). */
export const MAX_LEARNED_OT_HOSTS = 65_536;
export const MAX_ZONE_CACHE = 65_536;

export const UNKNOWN: ZoneInfo = Object.freeze({ name: "unknown", level: Number.NaN });
export const INTERNET: ZoneInfo = Object.freeze({ name: "internet", level: Number.NaN });
const LEARNED_OT: ZoneInfo = Object.freeze({ name: LEARNED_OT_ZONE, level: LEARNED_OT_LEVEL });

/** Purdue classes. NaN (unknown, internet) is none of them. */
export const isItLevel = (level: number): boolean => level >= 4;
export const isDmzLevel = (level: number): boolean => level > 3 && level < 4;
export const isOtLevel = (level: number): boolean => level <= 3;
export const isControlLevel = (level: number): boolean => level <= 2;

interface PrefixTable<K> {
  /** Prefix lengths present, longest first. */
  lengths: number[];
  byLength: Map<number, Map<K, ZoneInfo>>;
}

function addPrefix<K>(table: PrefixTable<K>, prefix: number, net: K, zone: ZoneInfo): void {
  let m = table.byLength.get(prefix);
  if (!m) {
    m = new Map();
    table.byLength.set(prefix, m);
    table.lengths.push(prefix);
    table.lengths.sort((a, b) => b - a);
  }
  if (!m.has(net)) m.set(net, zone); // the same CIDR in two zones: the first zone in the file wins
}

export class ZoneMap {
  private readonly v4: PrefixTable<number> = { lengths: [], byLength: new Map() };
  private readonly v6: PrefixTable<bigint> = { lengths: [], byLength: new Map() };
  private readonly cache = new Map<string, ZoneInfo>();
  private readonly learned = new Set<string>();
  readonly zones: readonly ZoneConfig[];
  readonly conduits: readonly ConduitConfig[];
  /** Hosts that could not be learned as OT because MAX_LEARNED_OT_HOSTS was reached. */
  learnedDropped = 0;
  /** Bumped whenever an address changes zone (a host learned as OT), so holders of zone-derived data know to redo it. */
  version = 0;

  constructor(config?: Pick<SiteConfig, "zones" | "conduits">) {
    this.zones = config?.zones ?? [];
    this.conduits = config?.conduits ?? [];
    for (const zone of this.zones) {
      const info: ZoneInfo = Object.freeze({ name: zone.name, level: zone.level });
      for (const text of zone.cidrs) {
        const c = parseCidr(text);
        if (!c) continue; // the config schema already rejected it
        if (c.version === 4) addPrefix(this.v4, c.prefix, c.net as number, info);
        else addPrefix(this.v6, c.prefix, c.net as bigint, info);
      }
    }
  }

  get configured(): boolean {
    return this.zones.length > 0;
  }

  /** The configured zone of an address, or undefined when no CIDR covers it. */
  configuredZoneOf(ip: string): ZoneInfo | undefined {
    const a4 = parseIpv4(ip);
    if (a4 >= 0) {
      for (const len of this.v4.lengths) {
        const hit = this.v4.byLength.get(len)?.get(maskV4(a4, len));
        if (hit) return hit;
      }
      return undefined;
    }
    const a6 = parseIpv6(ip);
    if (a6 === undefined) return undefined;
    for (const len of this.v6.lengths) {
      const hit = this.v6.byLength.get(len)?.get(maskV6(a6, len));
      if (hit) return hit;
    }
    return undefined;
  }

  zoneOf(ip: string): ZoneInfo {
    const cached = this.cache.get(ip);
    if (cached) return cached;
    const info = this.configuredZoneOf(ip) ?? (this.learned.has(ip) ? LEARNED_OT : fallbackZone(ip));
    if (this.cache.size >= MAX_ZONE_CACHE) this.cache.clear();
    this.cache.set(ip, info);
    return info;
  }

  /** Is a flow from a host in zone `from` to a server in zone `to` allowed by a conduit of the site config? */
  allows(from: string, to: string, transport: "tcp" | "udp", serverPort: number, service: string): boolean {
    for (const c of this.conduits) {
      if ((c.from === from || c.from === "any") && (c.to === to || c.to === "any") &&
        serviceMatches(c.service, transport, serverPort, service)) return true;
    }
    return false;
  }

  /**
   * Treat `ip` as OT when no configured zone covers it (a configured zone always wins). Returns true when newly learned.
   */
  learnOt(ip: string): boolean {
    if (this.learned.has(ip) || this.configuredZoneOf(ip)) return false;
    if (this.learned.size >= MAX_LEARNED_OT_HOSTS) {
      this.learnedDropped++;
      return false;
    }
    this.learned.add(ip);
    this.cache.delete(ip);
    this.version++;
    return true;
  }

  /**
   * Learns OT hosts from events: the server of an industrial protocol transaction ("modbus", "opcua.*", … that got an
   * answer), or of an established TCP flow whose service is industrial. A SYN that was never answered proves nothing.
   */
  observe(event: EventBase): boolean {
    const type = event.type;
    // Core flow events first, without cutting the type's head out (a string per event on the flow.start/flow.end path).
    if (type === "flow.start") return false;
    if (type !== "flow.end") {
      const dot = type.indexOf(".");
      if (!INDUSTRIAL_SERVICES.has(dot < 0 ? type : type.slice(0, dot))) return false;
      const status = (event as { status?: unknown }).status;
      if (status === "timeout" || status === "unsolicited") return false;
      return this.learnOt(event.dst);
    }
    const e = event as EventBase & {
      transport?: "tcp" | "udp"; service?: string; established?: boolean; midstream?: boolean; pktsToClient?: number;
    };
    const replied = (e.pktsToClient ?? 0) > 0;
    const answered = e.transport === "tcp" ? e.established === true || (e.midstream === true && replied) : replied;
    if (answered && e.transport && INDUSTRIAL_SERVICES.has(serviceName(e.transport, e.dport, e.service))) {
      return this.learnOt(event.dst);
    }
    return false;
  }

  /** Hosts learned as OT, sorted (for the baseline). */
  exportLearned(): string[] {
    return [...this.learned].sort();
  }

  importLearned(hosts: readonly string[]): void {
    for (const h of hosts) this.learnOt(h);
  }
}

/** Zone of an address outside every configured zone: "unknown" when it cannot be routed on the internet. */
export function fallbackZone(ip: string): ZoneInfo {
  const a4 = parseIpv4(ip);
  if (a4 >= 0) return isLocalV4(a4) ? UNKNOWN : INTERNET;
  const a6 = parseIpv6(ip);
  if (a6 === undefined) return UNKNOWN;
  return isLocalV6(a6) ? UNKNOWN : INTERNET;
}

/** "enterprise (L4)", "dmz (L3.5)", "internet". */
export function describeZone(z: ZoneInfo): string {
  return Number.isNaN(z.level) ? z.name : `${z.name}, L${z.level}`;
}
