// Exfiltration (ATT&CK T1041 Exfiltration Over C2 Channel, T1048 Exfiltration Over Alternative Protocol): outbound
// bytes per (host, destination) against learning. Only outward transfers count — to the internet, or to a zone of
// higher Purdue level (OT → DMZ → enterprise), or from an OT/DMZ host to an address in no zone — so backups inside a
// zone never fire. Three checks: one upload-shaped flow (client→server bytes dwarf the reply), the hourly sum of a pair
// (chunked uploads), and HTTP POST/PUT bodies before the flow even ends. OT/DMZ sources (historians, SCADA servers,
// engineering workstations) have thresholds OT_FACTOR times lower and a higher severity.

import { z } from "zod";
import type { EventBase } from "../../core/types.ts";
import type { Analyzer, AnalyzerContext, Anomaly, AnomalyDraft, ZoneInfo } from "../types.ts";
import { addBounded, formatBytes, isFlowEnd, isInternet, isOtOrDmz, numberMap, setBounded, sortedList, sortedRecord, stringList } from "./common.ts";
import { isHttpEvent, type HttpEvent } from "./types.ts";

/** Bytes of one upload-shaped flow that fire for an IT source to a new destination (OT/DMZ: divided by OT_FACTOR). */
export const EXFIL_FLOW_BYTES = 50 * 1024 * 1024;
/** Bytes per pair per hour that fire for an IT source (OT/DMZ: divided by OT_FACTOR). */
export const EXFIL_HOUR_BYTES = 200 * 1024 * 1024;
/** HTTP POST/PUT body that fires for an IT source to a new host (OT/DMZ: divided by OT_FACTOR). */
export const EXFIL_HTTP_BYTES = 20 * 1024 * 1024;
export const EXFIL_OT_FACTOR = 50;
/** Client→server bytes must be this multiple of server→client bytes for a flow to be upload-shaped. */
export const EXFIL_RATIO = 5;
/** A learned pair fires only above this multiple of what learning showed. */
export const EXFIL_LEARNED_FACTOR = 10;
export const EXFIL_WINDOW_S = 3600;
export const EXFIL_MAX_LEARNED = 200_000;
export const EXFIL_MAX_PAIRS = 50_000;

const modelSchema = z.object({ version: z.literal(1), flowMax: numberMap, hourMax: numberMap, hosts: stringList });

interface PairWindow {
  start: number;
  out: number;
  in: number;
  flows: number;
  firedUntil: number;
}

export class ExfilAnalyzer implements Analyzer {
  readonly name = "behaviour.exfil";
  private flowMax = new Map<string, number>();
  private hourMax = new Map<string, number>();
  private hosts = new Set<string>();
  private readonly windows = new Map<string, PairWindow>();

  observe(e: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    if (isHttpEvent(e)) return ctx.mode === "learning" ? this.learnHost(e.host) : this.onHttp(e, ctx);
    if (!isFlowEnd(e)) return undefined;
    const pair = `${e.src}|${e.dst}`;
    const w = this.window(pair, e.ts);
    w.out += e.bytesToServer;
    w.in += e.bytesToClient;
    w.flows++;
    if (ctx.mode === "learning") {
      if (e.bytesToServer > (this.flowMax.get(pair) ?? 0)) this.setLearned(this.flowMax, pair, e.bytesToServer);
      if (w.out > (this.hourMax.get(pair) ?? 0)) this.setLearned(this.hourMax, pair, w.out);
      return undefined;
    }
    const srcZone = ctx.zoneOf(e.src);
    const dstZone = ctx.zoneOf(e.dst);
    if (!outward(srcZone, dstZone) || e.ts < w.firedUntil) return undefined;
    const factor = isOtOrDmz(srcZone) ? EXFIL_OT_FACTOR : 1;
    const learnedFlow = this.flowMax.get(pair);
    const learnedHour = this.hourMax.get(pair);
    const flowMin = Math.max(EXFIL_FLOW_BYTES / factor, EXFIL_LEARNED_FACTOR * (learnedFlow ?? 0));
    const hourMin = Math.max(EXFIL_HOUR_BYTES / factor, EXFIL_LEARNED_FACTOR * (learnedHour ?? 0));
    let what = "";
    if (e.bytesToServer >= flowMin && e.bytesToServer >= EXFIL_RATIO * Math.max(1, e.bytesToClient)) {
      what = `one ${e.transport} flow on port ${e.dport} sent ${formatBytes(e.bytesToServer)} and received ${formatBytes(e.bytesToClient)}`;
    } else if (w.out >= hourMin && w.out >= EXFIL_RATIO * Math.max(1, w.in)) {
      what = `${w.flows} flows sent ${formatBytes(w.out)} (received ${formatBytes(w.in)}) within ${Math.round((e.ts - w.start) / 60)} min`;
    }
    if (what === "") return undefined;
    w.firedUntil = w.start + EXFIL_WINDOW_S;
    const learned =
      learnedFlow === undefined
        ? `${e.dst} was never a destination of ${e.src} in learning`
        : `learning saw at most ${formatBytes(learnedFlow)} per flow and ${formatBytes(learnedHour ?? 0)} per hour`;
    return [this.draft(e.src, e.dst, srcZone, dstZone, `${e.src} → ${e.dst}: ${what}; ${learned}`, {
      bytes_to_server: e.bytesToServer, bytes_to_client: e.bytesToClient, window_bytes_out: w.out, window_flows: w.flows,
      learned_flow_max: learnedFlow ?? 0, learned_hour_max: learnedHour ?? 0, dport: e.dport, frame: e.frame,
    }, e.ts)];
  }

  private learnHost(host: string): undefined {
    if (host !== "") addBounded(this.hosts, host, EXFIL_MAX_LEARNED);
    return undefined;
  }

  private onHttp(e: HttpEvent, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    const { src, dst, host, method } = e;
    if (method !== "POST" && method !== "PUT") return undefined;
    const size = Math.max(e.requestContentLength, e.requestBodyBytes);
    const srcZone = ctx.zoneOf(src);
    const dstZone = ctx.zoneOf(dst);
    if (!outward(srcZone, dstZone)) return undefined;
    const pair = `${src}|${dst}`;
    if (this.flowMax.has(pair) || (host !== "" && this.hosts.has(host))) return undefined;
    const factor = isOtOrDmz(srcZone) ? EXFIL_OT_FACTOR : 1;
    if (size < EXFIL_HTTP_BYTES / factor) return undefined;
    const w = this.window(pair, e.ts);
    if (e.ts < w.firedUntil) return undefined;
    w.firedUntil = w.start + EXFIL_WINDOW_S;
    const named = host !== "" ? ` (${host})` : "";
    return [this.draft(src, dst, srcZone, dstZone, `${src} → ${dst}${named}: HTTP ${method} of ${formatBytes(size)}; neither host nor address was a destination in learning`, {
      method, content_length: e.requestContentLength, body_bytes: e.requestBodyBytes, host, dport: e.dport, frame: e.frame,
    }, e.ts)];
  }

  private draft(src: string, dst: string, srcZone: ZoneInfo, dstZone: ZoneInfo, summary: string, evidence: Record<string, string | number | boolean>, ts: number): AnomalyDraft {
    const ot = isOtOrDmz(srcZone);
    return {
      kind: "net.exfil",
      severity: ot ? (isInternet(dstZone) ? "critical" : "high") : isInternet(dstZone) ? "high" : "medium",
      src,
      dst,
      protocol: "tcp/udp",
      summary,
      attack: ["T1041", "T1048"],
      evidence: { ...evidence, src_zone: srcZone.name, dst_zone: dstZone.name },
      ts,
    };
  }

  private window(pair: string, ts: number): PairWindow {
    let w = this.windows.get(pair);
    if (w === undefined || ts - w.start >= EXFIL_WINDOW_S) {
      w = { start: ts, out: 0, in: 0, flows: 0, firedUntil: w?.firedUntil ?? 0 };
      setBounded(this.windows, pair, w, EXFIL_MAX_PAIRS);
    }
    return w;
  }

  private setLearned(m: Map<string, number>, key: string, v: number): void {
    if (m.has(key) || m.size < EXFIL_MAX_LEARNED) m.set(key, v);
  }

  endLearning(_ctx: AnalyzerContext): void {
    this.windows.clear();
  }

  exportModel(): unknown {
    return { version: 1, flowMax: sortedRecord(this.flowMax), hourMax: sortedRecord(this.hourMax), hosts: sortedList(this.hosts) };
  }

  importModel(model: unknown): void {
    const m = modelSchema.parse(model);
    this.flowMax = new Map(Object.entries(m.flowMax));
    this.hourMax = new Map(Object.entries(m.hourMax));
    this.hosts = new Set(m.hosts);
  }

  accept(a: Anomaly): boolean {
    if (a.kind !== "net.exfil") return false;
    const pair = `${a.src}|${a.dst}`;
    const w = this.windows.get(pair);
    this.flowMax.set(pair, Math.max(this.flowMax.get(pair) ?? 0, w?.out ?? 0));
    this.hourMax.set(pair, Math.max(this.hourMax.get(pair) ?? 0, w?.out ?? 0));
    return true;
  }
}

/** Data leaving towards the internet, up the Purdue levels, or from OT/DMZ to an address in no zone. */
export function outward(src: ZoneInfo, dst: ZoneInfo): boolean {
  if (isInternet(dst)) return !isInternet(src);
  if (Number.isFinite(src.level) && Number.isFinite(dst.level)) return dst.level > src.level;
  return dst.name === "unknown" && isOtOrDmz(src);
}
