// Beaconing (C2 call-backs, ATT&CK T0869 Standard Application Layer Protocol / T1071.001 Web Protocols): learns which
// (source, destination) pairs and which server names (TLS SNI, HTTP Host) exist during learning; after it, follows the
// connection starts of every pair never seen and fires once when their timing is regular (beacon-score.ts). Sources in
// OT/DMZ zones fire after fewer beats and with a higher severity than IT hosts ("first to OT and DMZ").

import type { EventBase } from "../../core/types.ts";
import type { Analyzer, AnalyzerContext, Anomaly, AnomalyDraft } from "../types.ts";
import { z } from "zod";
import { scoreBeacon } from "./beacon-score.ts";
import {
  addBounded, formatBytes, isGroupAddress, formatSeconds, isFlowEnd, isFlowStart, isInternet, isOtOrDmz, setBounded, sortedList, stringList,
} from "./common.ts";
import { median } from "./stats.ts";
import { isHttpEvent, isTlsClientHello } from "./types.ts";

/** Learned pairs / destinations / names kept (a busy IT network has many). */
export const BEACON_MAX_LEARNED = 200_000;
/** Unseen pairs followed at once after learning. */
export const BEACON_MAX_TRACKS = 20_000;
/** Connection starts kept per pair (the most recent). */
export const BEACON_MAX_STARTS = 96;
/** Open flows whose end (sizes) we still wait for. */
export const BEACON_MAX_OPEN = 50_000;
/** Beats needed before scoring: OT/DMZ sources calling the internet or an unzoned address, other OT/DMZ calls, IT. */
export const BEACON_MIN_BEATS_OT_OUT = 4;
export const BEACON_MIN_BEATS_OT = 5;
export const BEACON_MIN_BEATS_IT = 8;
/** Score needed to fire, and the least timing score (regularity is the defining property). */
export const BEACON_MIN_SCORE = 0.7;
export const BEACON_MIN_TIMING = 0.5;
/** Periods outside this range are not beacons we report (sub-5 s churn is polling; over 6 h needs days of data). */
export const BEACON_MIN_PERIOD_S = 5;
export const BEACON_MAX_PERIOD_S = 6 * 3600;

/** UDP services that are periodic by design and rotate servers (NTP pools, DHCP renewals, name/service discovery). */
const PERIODIC_BY_DESIGN_UDP: ReadonlySet<number> = new Set([123, 67, 68, 137, 138, 1900, 5353, 5355]);

const modelSchema = z.object({ version: z.literal(1), pairs: stringList, destinations: stringList, names: stringList });

interface Track {
  readonly src: string;
  readonly dst: string;
  readonly dport: number;
  name: string;
  starts: number[];
  sizes: number[];
  fired: boolean;
}

export class BeaconAnalyzer implements Analyzer {
  readonly name = "behaviour.beacon";
  private pairs = new Set<string>();
  private destinations = new Set<string>();
  private names = new Set<string>();
  private readonly tracks = new Map<string, Track>();
  private readonly open = new Map<string, Track>();

  observe(e: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    if (ctx.mode === "learning") {
      this.learn(e);
      return undefined;
    }
    if (isFlowStart(e)) return this.onStart(e.flow, e.src, e.dst, e.dport, e.ts, e.transport, ctx);
    if (isFlowEnd(e)) {
      const t = this.open.get(e.flow);
      if (t !== undefined) {
        this.open.delete(e.flow);
        t.sizes.push(e.bytesToServer);
        if (t.sizes.length > BEACON_MAX_STARTS) t.sizes.shift();
      }
      return undefined;
    }
    const name = isTlsClientHello(e) ? e.sni : isHttpEvent(e) ? e.host.replace(/:\d+$/, "") : "";
    if (name !== "") {
      const t = this.open.get(e.flow);
      if (t !== undefined) t.name = name;
    }
    return undefined;
  }

  private learn(e: EventBase): void {
    if (isFlowStart(e)) {
      addBounded(this.pairs, `${e.src}|${e.dst}`, BEACON_MAX_LEARNED);
      addBounded(this.destinations, e.dst, BEACON_MAX_LEARNED);
    } else if (isTlsClientHello(e) && e.sni !== "") addBounded(this.names, e.sni, BEACON_MAX_LEARNED);
    else if (isHttpEvent(e) && e.host !== "") addBounded(this.names, e.host.replace(/:\d+$/, ""), BEACON_MAX_LEARNED);
  }

  private onStart(flow: string, src: string, dst: string, dport: number, ts: number, transport: string, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    if (this.pairs.has(`${src}|${dst}`)) return undefined;
    if (transport === "udp" && PERIODIC_BY_DESIGN_UDP.has(dport)) return undefined;
    if (isGroupAddress(dst)) return undefined;
    const srcZone = ctx.zoneOf(src);
    const ot = isOtOrDmz(srcZone);
    const dstZone = ctx.zoneOf(dst);
    const out = isInternet(dstZone) || dstZone.name === "unknown";
    const minBeats = ot ? (out ? BEACON_MIN_BEATS_OT_OUT : BEACON_MIN_BEATS_OT) : BEACON_MIN_BEATS_IT;
    // A destination the network already used in learning is a beacon target only when it is outside the plant's zones
    // and an OT/DMZ host starts calling it (a second HMI polling a known PLC is the talker-pair detectors' business).
    if (this.destinations.has(dst) && !(ot && out)) return undefined;
    const key = `${src}|${dst}|${dport}`;
    let t = this.tracks.get(key);
    if (t === undefined) {
      t = { src, dst, dport, name: "", starts: [], sizes: [], fired: false };
      setBounded(this.tracks, key, t, BEACON_MAX_TRACKS);
    }
    setBounded(this.open, flow, t, BEACON_MAX_OPEN);
    t.starts.push(ts);
    if (t.starts.length > BEACON_MAX_STARTS) t.starts.shift();
    if (t.fired || t.starts.length < minBeats) return undefined;
    if (t.name !== "" && this.names.has(t.name) && !ot) return undefined;
    const s = scoreBeacon(t.starts, t.sizes);
    if (s === undefined || s.beats < minBeats) return undefined;
    if (s.score < BEACON_MIN_SCORE || s.timing < BEACON_MIN_TIMING) return undefined;
    if (s.period < BEACON_MIN_PERIOD_S || s.period > BEACON_MAX_PERIOD_S) return undefined;
    t.fired = true;
    const severity = ot ? (out ? "critical" : "high") : out ? "high" : "medium";
    const seen = this.destinations.has(dst) ? `${dst} was used by other hosts, never by ${src}` : "never seen in learning";
    const named = t.name !== "" ? ` (${t.name})` : "";
    const sizeText = t.sizes.length > 0 ? `, ~${formatBytes(Math.round(median(t.sizes)))} sent each time` : "";
    return [
      {
        kind: "net.beacon",
        severity,
        src,
        dst,
        protocol: "tcp/udp",
        summary:
          `${src} → ${dst}:${dport}${named}, ${s.beats} connections every ${formatSeconds(s.period)} ± ` +
          `${formatSeconds(s.jitter)}${sizeText}, ${seen}`,
        attack: dport === 53 ? ["T0869", "T1071.004"] : ["T0869", "T1071.001"],
        evidence: {
          connections: s.beats,
          period_s: Math.round(s.period * 10) / 10,
          jitter_s: Math.round(s.jitter * 10) / 10,
          score: Math.round(s.score * 100) / 100,
          timing_score: Math.round(s.timing * 100) / 100,
          coverage: Math.round(s.coverage * 100) / 100,
          dport,
          name: t.name,
          src_zone: srcZone.name,
          dst_zone: dstZone.name,
        },
        key: `net.beacon|${src}|${dst}|${dport}`,
        ts,
      },
    ];
  }

  exportModel(): unknown {
    return { version: 1, pairs: sortedList(this.pairs), destinations: sortedList(this.destinations), names: sortedList(this.names) };
  }

  importModel(model: unknown): void {
    const m = modelSchema.parse(model);
    this.pairs = new Set(m.pairs);
    this.destinations = new Set(m.destinations);
    this.names = new Set(m.names);
  }

  accept(a: Anomaly): boolean {
    if (a.kind !== "net.beacon") return false;
    addBounded(this.pairs, `${a.src}|${a.dst}`, BEACON_MAX_LEARNED);
    for (const k of this.tracks.keys()) if (k.startsWith(`${a.src}|${a.dst}|`)) this.tracks.delete(k);
    return true;
  }
}
