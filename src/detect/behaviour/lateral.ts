// Lateral movement and remote services (ATT&CK for ICS T0886 Remote Services; enterprise T1021.001 RDP, .002 SMB,
// .003 DCOM/RPC, .004 SSH, .005 VNC, .006 WinRM; T1110 Brute Force). Three checks:
// - net.new-remote-service: a remote-admin session between hosts that never used it in learning, when the server never
//   offered that service in learning or the zone crossing (from zone → to zone, service) was never seen. A session is
//   confirmed when its flow ends established or is still open LATERAL_CONFIRM_S after its start (longer than the flow
//   table's half-open timeout), so refused or unanswered probes of a scan are left to the scan analyzer;
// - net.brute-force: a burst of short or refused connections from one client to one admin/auth service;
// - net.long-connection: a connection open for hours straight across the IT/OT boundary (IT or internet ↔ levels 0–3,
//   or internet ↔ DMZ) between hosts that never talked in learning.

import { z } from "zod";
import type { EventBase, FlowEndEvent, FlowStartEvent } from "../../core/types.ts";
import type { ConduitConfig } from "../../config/site.ts";
import type { Counters } from "../../core/counters.ts";
import { serviceMatches } from "../services.ts";
import type { Analyzer, AnalyzerContext, Anomaly, AnomalyDraft, ZoneInfo } from "../types.ts";
import { addBounded, carriedClientPayload, evictOldest, formatSeconds, isFlowEnd, isFlowStart, isInternet, isItOrInternet, isOt, isOtOrDmz, numberMap, setBounded, sortedList, sortedRecord, stringList } from "./common.ts";

interface RemoteService {
  readonly name: string;
  readonly attack: readonly string[];
}

const RDP: RemoteService = { name: "rdp", attack: ["T0886", "T1021.001"] };
const SMB: RemoteService = { name: "smb", attack: ["T0886", "T1021.002"] };
const RPC: RemoteService = { name: "msrpc", attack: ["T0886", "T1021.003"] };
const SSH: RemoteService = { name: "ssh", attack: ["T0886", "T1021.004"] };
const VNC: RemoteService = { name: "vnc", attack: ["T0886", "T1021.005"] };
const WINRM: RemoteService = { name: "winrm", attack: ["T0886", "T1021.006"] };
const TELNET: RemoteService = { name: "telnet", attack: ["T0886"] };

/** Remote-admin services by TCP port; names follow src/detect/services.ts so site-config conduits use the same words. */
export const REMOTE_SERVICES: ReadonlyMap<number, RemoteService> = new Map([
  [3389, RDP], [445, SMB], [139, SMB], [135, RPC], [22, SSH], [5900, VNC], [5901, VNC], [5902, VNC], [5800, VNC],
  [5985, WINRM], [5986, WINRM], [23, TELNET],
]);
/** Services whose short failed connections look like password guessing: remote admin plus FTP and databases. */
const AUTH_PORTS = new Set([...REMOTE_SERVICES.keys(), 21, 1433, 3306, 5432, 389, 88]);

export const LATERAL_WINDOW_S = 600;
/** New-remote-service anomalies per source and window; beyond that it is a scan (the scan analyzer reports it). */
export const LATERAL_MAX_PER_SOURCE = 5;
/** Short (< BRUTE_SHORT_S) or refused connections to one service within the window that fire, at least. */
export const BRUTE_MIN_ATTEMPTS = 12;
export const BRUTE_SHORT_S = 10;
export const BRUTE_LEARNED_FACTOR = 3;
/** A boundary-crossing connection open this long fires. */
export const LONG_CONNECTION_S = 3600;
export const LATERAL_MAX_LEARNED = 200_000;
/** Seconds after which a remote-admin flow that has not ended counts as a session (SYN-only flows end before). */
export const LATERAL_CONFIRM_S = 45;
export const LATERAL_MAX_OPEN = 50_000;
/** Distinct (client, server, port) attempt counters per source window, and in all windows together (~100 bytes each). */
export const LATERAL_MAX_ATTEMPTS_PER_WINDOW = 4096;
export const LATERAL_MAX_TOTAL_ATTEMPTS = 262_144;

const modelSchema = z.object({ version: z.literal(1), served: stringList, used: stringList, crossings: stringList, pairs: stringList, brute: numberMap });

interface OpenFlow {
  readonly src: string;
  readonly dst: string;
  readonly dport: number;
  readonly start: number;
  readonly frame: number;
}

interface PendingSession {
  readonly e: FlowStartEvent;
  readonly svc: RemoteService;
}

interface SourceWindow {
  start: number;
  fired: number;
  readonly attempts: Map<string, number>;
  readonly firedBrute: Set<string>;
}

export interface LateralOptions {
  /** Site-config conduits: sessions over a crossing they allow are never reported. */
  conduits?: readonly Pick<ConduitConfig, "from" | "to" | "service">[];
  /** Drops at LATERAL_MAX_TOTAL_ATTEMPTS are counted here as `detect.lateral.dropped.attempts`. */
  counters?: Counters;
}

export class LateralAnalyzer implements Analyzer {
  readonly name = "behaviour.lateral";
  private readonly conduits: LateralOptions["conduits"];
  private served = new Set<string>();
  private used = new Set<string>();
  private crossings = new Set<string>();
  private pairs = new Set<string>();
  private bruteMax = new Map<string, number>();
  private readonly windows = new Map<string, SourceWindow>();
  private readonly open = new Map<string, OpenFlow>();
  private readonly firedLong = new Set<string>();
  private readonly pending = new Map<string, PendingSession>();
  private lastSweep = 0;
  /** Attempt counters held by all windows (bounded by LATERAL_MAX_TOTAL_ATTEMPTS). */
  private heldAttempts = 0;
  private lastWindowSweep = Number.NEGATIVE_INFINITY;
  /** Attempts not counted because LATERAL_MAX_TOTAL_ATTEMPTS was reached. */
  dropped = 0;

  private readonly counters: Counters | undefined;

  constructor(opts: LateralOptions = {}) {
    this.conduits = opts.conduits ?? [];
    this.counters = opts.counters;
  }

  observe(e: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    if (isFlowStart(e)) return this.onStart(e, ctx);
    if (isFlowEnd(e)) return this.onEnd(e, ctx);
    return undefined;
  }

  private onStart(e: FlowStartEvent, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    const learning = ctx.mode === "learning";
    const srcZone = ctx.zoneOf(e.src);
    const dstZone = ctx.zoneOf(e.dst);
    if (crossesBoundary(srcZone, dstZone)) setBounded(this.open, e.flow, { src: e.src, dst: e.dst, dport: e.dport, start: e.ts, frame: e.frame }, LATERAL_MAX_OPEN);
    const svc = e.transport === "tcp" ? REMOTE_SERVICES.get(e.dport) : undefined;
    if (learning) {
      addBounded(this.pairs, `${e.src}|${e.dst}|${e.dport}`, LATERAL_MAX_LEARNED);
      return undefined;
    }
    if (svc === undefined || e.midstream || this.used.has(`${e.src}|${e.dst}|${svc.name}`)) return undefined;
    setBounded(this.pending, e.flow, { e, svc }, LATERAL_MAX_OPEN);
    return undefined;
  }

  /** A pending remote-admin flow turned out to be a session: judge it against the learned services and crossings. */
  private confirm(p: PendingSession, ts: number, ctx: AnalyzerContext): AnomalyDraft[] {
    const { e, svc } = p;
    if (this.used.has(`${e.src}|${e.dst}|${svc.name}`)) return [];
    const srcZone = ctx.zoneOf(e.src);
    const dstZone = ctx.zoneOf(e.dst);
    const newServer = !this.served.has(`${e.dst}|${svc.name}`);
    // A crossing the site config allows by design (a conduit) is not lateral movement, whichever server it reaches.
    if (srcZone.name !== dstZone.name && this.allowed(srcZone, dstZone, e.dport, svc)) return [];
    const newCrossing = !this.crossings.has(`${srcZone.name}>${dstZone.name}|${svc.name}`);
    if (!newServer && !newCrossing) return [];
    const w = this.window(e.src, e.ts);
    if (w.fired >= LATERAL_MAX_PER_SOURCE) return [];
    w.fired++;
    addBounded(this.used, `${e.src}|${e.dst}|${svc.name}`, LATERAL_MAX_LEARNED);
    const intoOt = isOt(dstZone);
    const severity = intoOt ? (isItOrInternet(srcZone) ? "critical" : "high") : isOtOrDmz(dstZone) ? "high" : "medium";
    const why = [
      newServer ? `${e.dst} never offered ${svc.name.toUpperCase()} in learning` : "",
      newCrossing ? `no ${svc.name.toUpperCase()} from ${srcZone.name} to ${dstZone.name} was seen in learning` : "",
    ].filter((s) => s !== "").join("; ");
    return [{
      kind: "net.new-remote-service",
      severity,
      src: e.src,
      dst: e.dst,
      protocol: svc.name,
      summary: `${e.src} (${srcZone.name}) opened ${svc.name.toUpperCase()} to ${e.dst}:${e.dport} (${dstZone.name}); ${why}`,
      attack: [...svc.attack],
      evidence: { service: svc.name, dport: e.dport, src_zone: srcZone.name, dst_zone: dstZone.name, new_server: newServer, new_crossing: newCrossing, frame: e.frame },
      ts,
    }];
  }

  private onEnd(e: FlowEndEvent, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    const out: AnomalyDraft[] = [];
    const p = this.pending.get(e.flow);
    if (p !== undefined) {
      this.pending.delete(e.flow);
      // A handshake answered and then reset by the client with no data is a connect/SYN scan, not a session.
      if (e.established && !e.rejected && carriedClientPayload(e)) out.push(...this.confirm(p, e.ts, ctx));
    }
    const svc = e.transport === "tcp" ? REMOTE_SERVICES.get(e.dport) : undefined;
    if (svc !== undefined && ctx.mode === "learning" && (e.established || e.midstream) && !e.rejected) {
      // Only sessions that happened teach who serves and uses a service (a refused probe in learning does not).
      const srcZone = ctx.zoneOf(e.src);
      const dstZone = ctx.zoneOf(e.dst);
      addBounded(this.served, `${e.dst}|${svc.name}`, LATERAL_MAX_LEARNED);
      addBounded(this.used, `${e.src}|${e.dst}|${svc.name}`, LATERAL_MAX_LEARNED);
      addBounded(this.crossings, `${srcZone.name}>${dstZone.name}|${svc.name}`, LATERAL_MAX_LEARNED);
    }
    const o = this.open.get(e.flow);
    if (o !== undefined) {
      this.open.delete(e.flow);
      if (ctx.mode === "detecting" && e.ts - o.start >= LONG_CONNECTION_S) {
        const d = this.longDraft(o, e.ts, ctx, true);
        if (d !== undefined) out.push(d);
      }
    }
    if (e.transport !== "tcp" || !AUTH_PORTS.has(e.dport) || e.midstream) return out;
    const short = e.rejected || !e.established || e.duration < BRUTE_SHORT_S;
    if (!short) return out;
    const key = `${e.src}|${e.dst}|${e.dport}`;
    const w = this.window(e.src, e.startTs);
    const known = w.attempts.get(key);
    if (known === undefined && w.attempts.size < LATERAL_MAX_ATTEMPTS_PER_WINDOW) {
      if (this.heldAttempts >= LATERAL_MAX_TOTAL_ATTEMPTS) this.sweepWindows(e.ts, e.src);
      if (this.heldAttempts >= LATERAL_MAX_TOTAL_ATTEMPTS) {
        this.dropped++;
        this.counters?.add("detect.lateral.dropped.attempts");
        return out;
      }
      this.heldAttempts++;
    }
    const n = (known ?? 0) + 1;
    setBounded(w.attempts, key, n, LATERAL_MAX_ATTEMPTS_PER_WINDOW);
    if (ctx.mode === "learning") {
      if (n > (this.bruteMax.get(key) ?? 0) && this.bruteMax.size < LATERAL_MAX_LEARNED) this.bruteMax.set(key, n);
      return out;
    }
    if (w.firedBrute.has(key) || n < Math.max(BRUTE_MIN_ATTEMPTS, BRUTE_LEARNED_FACTOR * (this.bruteMax.get(key) ?? 0))) return out;
    w.firedBrute.add(key);
    const svcName = svc?.name ?? `port ${e.dport}`;
    const dstZone = ctx.zoneOf(e.dst);
    out.push({
      kind: "net.brute-force",
      severity: isOtOrDmz(dstZone) ? "high" : "medium",
      src: e.src,
      dst: e.dst,
      protocol: svc?.name ?? "tcp",
      summary: `${e.src} made ${n} short or refused ${svcName} connections to ${e.dst}:${e.dport} within ${Math.max(1, Math.round((e.ts - w.start) / 60))} min; learning saw at most ${this.bruteMax.get(key) ?? 0} per ${LATERAL_WINDOW_S / 60} min`,
      attack: ["T1110", "T0886"],
      evidence: { attempts: n, dport: e.dport, learned_max: this.bruteMax.get(key) ?? 0, last_duration_s: Math.round(e.duration * 10) / 10, rejected: e.rejected, frame: e.frame },
      ts: e.ts,
    });
    return out;
  }

  tick(ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    if (ctx.mode !== "detecting") return undefined;
    const out: AnomalyDraft[] = [];
    for (const [flow, p] of this.pending) {
      // Insertion order is start order: stop at the first flow too young to confirm.
      if (ctx.ts - p.e.ts < LATERAL_CONFIRM_S) break;
      this.pending.delete(flow);
      out.push(...this.confirm(p, ctx.ts, ctx));
    }
    if (ctx.ts - this.lastSweep < 30) return out.length > 0 ? out : undefined;
    this.lastSweep = ctx.ts;
    for (const o of this.open.values()) {
      if (ctx.ts - o.start < LONG_CONNECTION_S) continue;
      const d = this.longDraft(o, ctx.ts, ctx, false);
      if (d !== undefined) out.push(d);
    }
    return out.length > 0 ? out : undefined;
  }

  private allowed(src: ZoneInfo, dst: ZoneInfo, port: number, svc: RemoteService): boolean {
    for (const c of this.conduits ?? []) {
      if ((c.from === src.name || c.from === "any") && (c.to === dst.name || c.to === "any") && serviceMatches(c.service, "tcp", port, svc.name)) return true;
    }
    return false;
  }

  private longDraft(o: OpenFlow, ts: number, ctx: AnalyzerContext, ended: boolean): AnomalyDraft | undefined {
    const key = `${o.src}|${o.dst}|${o.dport}`;
    if (this.pairs.has(key) || this.firedLong.has(key)) return undefined;
    addBounded(this.firedLong, key, LATERAL_MAX_OPEN);
    const srcZone = ctx.zoneOf(o.src);
    const dstZone = ctx.zoneOf(o.dst);
    return {
      kind: "net.long-connection",
      severity: isOt(srcZone) || isOt(dstZone) ? "high" : "medium",
      src: o.src,
      dst: o.dst,
      protocol: REMOTE_SERVICES.get(o.dport)?.name ?? "tcp/udp",
      summary: `${o.src} (${srcZone.name}) → ${o.dst}:${o.dport} (${dstZone.name}) ${ended ? "stayed" : "has been"} open ${formatSeconds(ts - o.start)} across the IT/OT boundary; these hosts never talked on this port in learning`,
      attack: ["T0886", "T1572"],
      evidence: { duration_s: Math.round(ts - o.start), dport: o.dport, src_zone: srcZone.name, dst_zone: dstZone.name, frame: o.frame },
      ts,
    };
  }

  private window(src: string, ts: number): SourceWindow {
    let w = this.windows.get(src);
    if (w === undefined || ts - w.start >= LATERAL_WINDOW_S) {
      if (w !== undefined) this.heldAttempts -= w.attempts.size;
      else if (this.windows.size >= LATERAL_MAX_OPEN) this.heldAttempts -= evictOldest(this.windows)?.attempts.size ?? 0;
      w = { start: ts, fired: 0, attempts: new Map(), firedBrute: new Set() };
      this.windows.set(src, w);
    }
    return w;
  }

  /**
   * Attempt budget full: windows that expired (quiet sources) are dropped, at most once a minute of packet time; not the
   * window of `current`, which is being counted into (it is keyed by the flow's start, older than `ts`).
   */
  private sweepWindows(ts: number, current: string): void {
    if (ts - this.lastWindowSweep < 60) return;
    this.lastWindowSweep = ts;
    for (const [src, w] of this.windows) {
      if (ts - w.start < LATERAL_WINDOW_S || src === current) continue;
      this.heldAttempts -= w.attempts.size;
      this.windows.delete(src);
    }
  }

  endLearning(_ctx: AnalyzerContext): void {
    this.windows.clear();
    this.heldAttempts = 0;
  }

  exportModel(): unknown {
    return {
      version: 1, served: sortedList(this.served), used: sortedList(this.used), crossings: sortedList(this.crossings),
      pairs: sortedList(this.pairs), brute: sortedRecord(this.bruteMax),
    };
  }

  importModel(model: unknown): void {
    const m = modelSchema.parse(model);
    this.served = new Set(m.served);
    this.used = new Set(m.used);
    this.crossings = new Set(m.crossings);
    this.pairs = new Set(m.pairs);
    this.bruteMax = new Map(Object.entries(m.brute));
  }

  accept(a: Anomaly): boolean {
    if (a.kind === "net.new-remote-service") {
      const svc = /"service":"([^"]+)"/.exec(a.evidence)?.[1];
      if (svc === undefined) return false;
      this.used.add(`${a.src}|${a.dst}|${svc}`);
      this.served.add(`${a.dst}|${svc}`);
      this.crossings.add(`${a.src_zone}>${a.dst_zone}|${svc}`);
      return true;
    }
    if (a.kind === "net.long-connection") {
      const port = /"dport":(\d+)/.exec(a.evidence)?.[1];
      if (port === undefined) return false;
      this.pairs.add(`${a.src}|${a.dst}|${port}`);
      return true;
    }
    return false;
  }
}

/** Straight across the IT/OT boundary: IT or internet ↔ levels 0–3, or internet ↔ DMZ. */
export function crossesBoundary(a: ZoneInfo, b: ZoneInfo): boolean {
  if ((isItOrInternet(a) && isOt(b)) || (isItOrInternet(b) && isOt(a))) return true;
  return (isInternet(a) && isOtOrDmz(b)) || (isInternet(b) && isOtOrDmz(a));
}
