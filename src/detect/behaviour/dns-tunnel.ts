// DNS tunnelling and C2 over DNS (ATT&CK T1071.004 Application Layer Protocol: DNS, T1048 Exfiltration Over Alternative
// Protocol). Per registered domain (public suffix list via tldts, private suffixes included so dyn-DNS and cloud
// customer names are their own domains) and per sliding window: unique subdomains, unique "long high-entropy"
// subdomains (encoded payload), and TXT/NULL/CNAME query volume. RITA flags at 100 unique subdomains; encoded labels
// are conclusive much sooner, so they fire at DNS_TUNNEL_MIN_ENCODED. Learned domains need a multiple of what learning
// showed (an antivirus or DNSBL lookup domain with hashed labels is normal when it was there all along).

import { getDomain } from "tldts";
import { z } from "zod";
import type { EventBase } from "../../core/types.ts";
import type { Analyzer, AnalyzerContext, Anomaly, AnomalyDraft } from "../types.ts";
import { evictOldest, isOtOrDmz, numberMap, setBounded, sortedRecord } from "./common.ts";
import { shannonEntropy } from "./stats.ts";
import { isDnsEvent, type DnsEvent } from "./types.ts";

/** Sliding window over which a domain's subdomains are counted (packet time). */
export const DNS_TUNNEL_WINDOW_S = 600;
/** Unique encoded-looking subdomains of one domain within the window that fire. */
export const DNS_TUNNEL_MIN_ENCODED = 12;
/** Unique subdomains of any kind within the window that fire (RITA's lowest threshold). */
export const DNS_TUNNEL_MIN_UNIQUE = 100;
/** Unique TXT/NULL/CNAME-typed names within the window that fire. */
export const DNS_TUNNEL_MIN_RARE_TYPES = 30;
/** A learned domain needs this multiple of its learned per-window maximum. */
export const DNS_TUNNEL_LEARNED_FACTOR = 3;
/** Encoded-looking: subdomain characters (dots removed) and Shannon entropy (bits/char). */
export const DNS_ENCODED_MIN_CHARS = 20;
export const DNS_ENCODED_MIN_ENTROPY = 3.4;
/** Very long subdomains count as encoded at a lower entropy (base32 payloads of 50+ chars). */
export const DNS_ENCODED_LONG_CHARS = 48;
export const DNS_ENCODED_LONG_ENTROPY = 3.0;
/** Domains tracked at once, and subdomain timestamps kept per domain. */
export const DNS_TUNNEL_MAX_DOMAINS = 20_000;
export const DNS_TUNNEL_MAX_SUBS = 2048;
export const DNS_TUNNEL_MAX_LEARNED = 100_000;
/** Entries (subdomains, encoded, rare-typed, sources) kept over all domains at once: the per-domain caps times
 * DNS_TUNNEL_MAX_DOMAINS would allow far more under a flood of random names. Beyond it, the oldest domains' windows go. */
export const DNS_TUNNEL_MAX_ENTRIES = 400_000;

const RARE_TYPES = new Set([16, 10, 5]);

const modelSchema = z.object({
  version: z.literal(1),
  /** Per registered domain, learned per-window maxima: unique subdomains, encoded subdomains, rare-type names. */
  unique: numberMap,
  encoded: numberMap,
  rare: numberMap,
});

interface Window {
  /** Subdomain → last seen ts, in insertion order (oldest first) for expiry. */
  readonly subs: Map<string, number>;
  readonly encoded: Map<string, number>;
  readonly rare: Map<string, number>;
  readonly sources: Map<string, number>;
  firedUntil: number;
  lastQuery: string;
  lastType: string;
  resolver: string;
}

/** Registered domain and the subdomain part of a query name; undefined for names we never judge (reverse, mDNS…). */
export function splitName(name: string): { domain: string; sub: string } | undefined {
  const n = name.toLowerCase().replace(/\.$/, "");
  if (n.endsWith(".arpa") || n.endsWith(".local") || n === "" || !n.includes(".")) return undefined;
  let domain = getDomain(n, { allowPrivateDomains: true }) ?? "";
  if (domain === "") {
    const labels = n.split(".");
    domain = labels.slice(-2).join(".");
  }
  if (domain === n || !n.endsWith("." + domain)) return undefined;
  return { domain, sub: n.slice(0, n.length - domain.length - 1) };
}

/** True for a subdomain that looks like encoded data rather than a host name. */
export function looksEncoded(sub: string): boolean {
  const s = sub.replace(/\./g, "");
  if (s.length < DNS_ENCODED_MIN_CHARS) return false;
  const h = shannonEntropy(s);
  return h >= DNS_ENCODED_MIN_ENTROPY || (s.length >= DNS_ENCODED_LONG_CHARS && h >= DNS_ENCODED_LONG_ENTROPY);
}

function expire(m: Map<string, number>, before: number): void {
  for (const [k, t] of m) {
    if (t >= before) break;
    m.delete(k);
  }
}

function entriesOf(w: Window): number {
  return w.subs.size + w.encoded.size + w.rare.size + w.sources.size;
}

function touch(m: Map<string, number>, key: string, ts: number): void {
  m.delete(key);
  setBounded(m, key, ts, DNS_TUNNEL_MAX_SUBS);
}

export class DnsTunnelAnalyzer implements Analyzer {
  readonly name = "behaviour.dns-tunnel";
  private learnedUnique = new Map<string, number>();
  private learnedEncoded = new Map<string, number>();
  private learnedRare = new Map<string, number>();
  private readonly windows = new Map<string, Window>();
  /** Entries held by all windows (kept below DNS_TUNNEL_MAX_ENTRIES). */
  private entries = 0;

  observe(e: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    if (!isDnsEvent(e) || e.status === "unsolicited" || e.query === "") return undefined;
    const parts = splitName(e.query);
    if (parts === undefined) return undefined;
    const w = this.window(parts.domain);
    const held = entriesOf(w);
    const before = e.ts - DNS_TUNNEL_WINDOW_S;
    expire(w.subs, before);
    expire(w.encoded, before);
    expire(w.rare, before);
    touch(w.subs, parts.sub, e.ts);
    if (looksEncoded(parts.sub)) touch(w.encoded, parts.sub, e.ts);
    if (RARE_TYPES.has(e.qtype)) touch(w.rare, parts.sub, e.ts);
    setBounded(w.sources, e.src, (w.sources.get(e.src) ?? 0) + 1, DNS_TUNNEL_MAX_SUBS);
    w.lastQuery = e.query;
    w.lastType = e.qtypeName;
    w.resolver = e.dst;
    this.entries += entriesOf(w) - held;
    while (this.entries > DNS_TUNNEL_MAX_ENTRIES && this.windows.size > 1) this.dropOldestWindow();
    if (ctx.mode === "learning") {
      this.learnMax(this.learnedUnique, parts.domain, w.subs.size);
      this.learnMax(this.learnedEncoded, parts.domain, w.encoded.size);
      this.learnMax(this.learnedRare, parts.domain, w.rare.size);
      return undefined;
    }
    if (e.ts < w.firedUntil) return undefined;
    return this.check(parts.domain, w, e, ctx);
  }

  private window(domain: string): Window {
    let w = this.windows.get(domain);
    if (w === undefined) {
      w = { subs: new Map(), encoded: new Map(), rare: new Map(), sources: new Map(), firedUntil: 0, lastQuery: "", lastType: "", resolver: "" };
      if (this.windows.size >= DNS_TUNNEL_MAX_DOMAINS) this.dropOldestWindow();
      this.windows.set(domain, w);
    }
    return w;
  }

  private dropOldestWindow(): void {
    const old = evictOldest(this.windows);
    if (old !== undefined) this.entries -= entriesOf(old);
  }

  private learnMax(m: Map<string, number>, domain: string, v: number): void {
    if (v > (m.get(domain) ?? 0) && (m.has(domain) || m.size < DNS_TUNNEL_MAX_LEARNED)) m.set(domain, v);
  }

  private threshold(m: Map<string, number>, domain: string, base: number): number {
    return Math.max(base, DNS_TUNNEL_LEARNED_FACTOR * (m.get(domain) ?? 0));
  }

  private check(domain: string, w: Window, e: DnsEvent, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    const encodedMin = this.threshold(this.learnedEncoded, domain, DNS_TUNNEL_MIN_ENCODED);
    const uniqueMin = this.threshold(this.learnedUnique, domain, DNS_TUNNEL_MIN_UNIQUE);
    const rareMin = this.threshold(this.learnedRare, domain, DNS_TUNNEL_MIN_RARE_TYPES);
    let reason = "";
    if (w.encoded.size >= encodedMin) reason = `${w.encoded.size} unique long high-entropy subdomains`;
    else if (w.rare.size >= rareMin) reason = `${w.rare.size} unique TXT/NULL/CNAME names`;
    else if (w.subs.size >= uniqueMin) reason = `${w.subs.size} unique subdomains`;
    if (reason === "") return undefined;
    w.firedUntil = e.ts + DNS_TUNNEL_WINDOW_S;
    let src = e.src;
    let top = 0;
    for (const [s, n] of w.sources) if (n > top) [src, top] = [s, n];
    const learned = this.learnedUnique.has(domain)
      ? `learning saw at most ${this.learnedEncoded.get(domain) ?? 0} such names per ${DNS_TUNNEL_WINDOW_S / 60} min`
      : "domain never queried in learning";
    const srcZone = ctx.zoneOf(src);
    const encodedFire = w.encoded.size >= encodedMin;
    const entropies = [...w.encoded.keys()].map((s) => shannonEntropy(s.replace(/\./g, "")));
    const meanEntropy = entropies.length > 0 ? entropies.reduce((a, b) => a + b, 0) / entropies.length : 0;
    return [
      {
        kind: "dns.tunnel",
        severity: encodedFire ? (isOtOrDmz(srcZone) ? "critical" : "high") : "medium",
        src,
        dst: w.resolver,
        protocol: "dns",
        summary: `${src} queried ${reason} of ${domain} within ${DNS_TUNNEL_WINDOW_S / 60} min (e.g. ${w.lastType} ${truncate(w.lastQuery)}); ${learned}`,
        attack: ["T1071.004", "T1048"],
        evidence: {
          domain,
          unique_subdomains: w.subs.size,
          encoded_subdomains: w.encoded.size,
          rare_type_names: w.rare.size,
          mean_entropy: Math.round(meanEntropy * 100) / 100,
          example: truncate(w.lastQuery),
          queries_from_src: top,
          learned_encoded_max: this.learnedEncoded.get(domain) ?? 0,
          frame: e.frame,
        },
        key: `dns.tunnel|${src}|${domain}`,
        ts: e.ts,
      },
    ];
  }

  endLearning(_ctx: AnalyzerContext): void {
    // Windows restart for detection so learning-time counts do not carry over into the first detection window.
    this.windows.clear();
  }

  exportModel(): unknown {
    return { version: 1, unique: sortedRecord(this.learnedUnique), encoded: sortedRecord(this.learnedEncoded), rare: sortedRecord(this.learnedRare) };
  }

  importModel(model: unknown): void {
    const m = modelSchema.parse(model);
    this.learnedUnique = new Map(Object.entries(m.unique));
    this.learnedEncoded = new Map(Object.entries(m.encoded));
    this.learnedRare = new Map(Object.entries(m.rare));
  }

  accept(a: Anomaly): boolean {
    if (a.kind !== "dns.tunnel") return false;
    const domain = /"domain":"([^"]+)"/.exec(a.evidence)?.[1];
    if (domain === undefined) return false;
    const w = this.windows.get(domain);
    this.learnedEncoded.set(domain, Math.max(this.learnedEncoded.get(domain) ?? 0, w?.encoded.size ?? DNS_TUNNEL_MIN_ENCODED));
    this.learnedUnique.set(domain, Math.max(this.learnedUnique.get(domain) ?? 0, w?.subs.size ?? DNS_TUNNEL_MIN_UNIQUE));
    this.learnedRare.set(domain, Math.max(this.learnedRare.get(domain) ?? 0, w?.rare.size ?? DNS_TUNNEL_MIN_RARE_TYPES));
    return true;
  }
}

function truncate(s: string): string {
  return s.length > 80 ? s.slice(0, 77) + "..." : s;
}

