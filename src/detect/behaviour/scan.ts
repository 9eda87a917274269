// Scans and discovery (ATT&CK for ICS T0846 Remote System Discovery; enterprise T1046 Network Service Discovery,
// T1018 Remote System Discovery for ARP): per source and tumbling window, probe flows to (host, port) targets never
// contacted by that source in learning. A probe is a TCP flow that was rejected, never completed its handshake, or
// carried no client payload (connect and banner scans), or a UDP flow that got no answer — so browsing to many new
// sites never counts. Vertical scan (one host, many ports) → net.port-scan; horizontal (one port, many hosts) →
// net.host-scan; many half-open targets otherwise → net.syn-sweep; ARP requests for many addresses → net.arp-sweep.
// Thresholds grow with what the source did in learning (a vulnerability scanner seen in learning is normal). One
// anomaly per scanner and window, src = scanner, dst = its most-hit target, evidence with all counts.

import { z } from "zod";
import type { EventBase, FlowEndEvent } from "../../core/types.ts";
import type { Analyzer, AnalyzerContext, Anomaly, AnomalyDraft } from "../types.ts";
import type { Counters } from "../../core/counters.ts";
import { addBounded, carriedClientPayload, evictOldest, isArp, isGroupAddress, isFlowEnd, isFlowStart, isOt, numberMap, sortedRecord } from "./common.ts";

export const SCAN_WINDOW_S = 600;
/** Distinct hosts probed on one port (horizontal), ports probed on one host (vertical), half-open targets (sweep). */
export const SCAN_MIN_HOSTS = 16;
export const SCAN_MIN_PORTS = 12;
export const SCAN_MIN_HALF_OPEN = 24;
/** Distinct addresses asked for by one ARP sender. */
export const ARP_SWEEP_MIN_TARGETS = 24;
/** A source's threshold is at least this multiple of its learned per-window maximum. */
export const SCAN_LEARNED_FACTOR = 2;
export const SCAN_MAX_LEARNED_TARGETS = 300_000;
export const SCAN_MAX_SOURCES = 10_000;
export const SCAN_MAX_TARGETS_PER_WINDOW = 8192;
/**
 * Targets (and ARP targets) held by all open windows together: SCAN_MAX_SOURCES × SCAN_MAX_TARGETS_PER_WINDOW would be
 * 80 M entries. About 150 bytes each (key, per-port and per-host entries), so this bounds the windows near 40 MB.
 */
export const SCAN_MAX_TOTAL_TARGETS = 262_144;

const modelSchema = z.object({
  version: z.literal(1),
  /** Per source, learned per-window maxima: "hosts", "ports", "halfOpen", "arp". */
  hosts: numberMap,
  ports: numberMap,
  halfOpen: numberMap,
  arp: numberMap,
  /** "src|dst|port" triples seen in learning. */
  targets: z.array(z.string()),
});

interface ScanWindow {
  start: number;
  readonly targets: Set<string>;
  readonly perPort: Map<number, Set<string>>;
  readonly perHost: Map<string, Set<number>>;
  readonly hostHits: Map<string, number>;
  halfOpen: number;
  rejected: number;
  firedUntil: number;
  readonly arpTargets: Set<string>;
  arpFiredUntil: number;
}

function newWindow(start: number, firedUntil = 0, arpFiredUntil = 0): ScanWindow {
  return { start, targets: new Set(), perPort: new Map(), perHost: new Map(), hostHits: new Map(), halfOpen: 0, rejected: 0, firedUntil, arpTargets: new Set(), arpFiredUntil };
}

/** A flow that only probed: rejected, half-open, no client payload (TCP), or unanswered (UDP, not to a group address). */
export function isProbe(e: FlowEndEvent): boolean {
  if (e.midstream || isGroupAddress(e.dst)) return false;
  if (e.transport === "udp") return e.pktsToClient === 0;
  return e.rejected || !e.established || !carriedClientPayload(e);
}

export class ScanAnalyzer implements Analyzer {
  readonly name = "behaviour.scan";
  private learnedTargets = new Set<string>();
  private maxHosts = new Map<string, number>();
  private maxPorts = new Map<string, number>();
  private maxHalfOpen = new Map<string, number>();
  private maxArp = new Map<string, number>();
  private readonly windows = new Map<string, ScanWindow>();
  /** Targets held by all windows (bounded by SCAN_MAX_TOTAL_TARGETS). */
  private heldTargets = 0;
  private lastSweep = Number.NEGATIVE_INFINITY;
  /** Targets not recorded because SCAN_MAX_TOTAL_TARGETS was reached (also counted as `detect.scan.dropped.targets`). */
  dropped = 0;

  constructor(private readonly counters?: Counters) {}

  /** Room for one more target in all windows together; counts the drop when there is none. */
  private room(ts: number): boolean {
    if (this.heldTargets >= SCAN_MAX_TOTAL_TARGETS) this.sweep(ts);
    if (this.heldTargets < SCAN_MAX_TOTAL_TARGETS) {
      this.heldTargets++;
      return true;
    }
    this.dropped++;
    this.counters?.add("detect.scan.dropped.targets");
    return false;
  }

  observe(e: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    const learning = ctx.mode === "learning";
    if (isFlowStart(e)) {
      if (learning) addBounded(this.learnedTargets, `${e.src}|${e.dst}|${e.dport}`, SCAN_MAX_LEARNED_TARGETS);
      return undefined;
    }
    if (isArp(e)) return this.onArp(e.op, e.senderIp, e.targetIp, e.ts, learning, ctx);
    if (!isFlowEnd(e) || !isProbe(e)) return undefined;
    // A source whose current window is full gains nothing from this probe: leave before building any key (a flood).
    const cur = this.windows.get(e.src);
    if (cur !== undefined && e.ts - cur.start < SCAN_WINDOW_S && cur.targets.size >= SCAN_MAX_TARGETS_PER_WINDOW) return undefined;
    if (!learning && this.learnedTargets.has(`${e.src}|${e.dst}|${e.dport}`)) return undefined;
    const w = this.window(e.src, e.ts);
    const target = `${e.dst}|${e.dport}`;
    if (w.targets.has(target) || w.targets.size >= SCAN_MAX_TARGETS_PER_WINDOW || !this.room(e.ts)) return undefined;
    w.targets.add(target);
    let hosts = w.perPort.get(e.dport);
    if (hosts === undefined) w.perPort.set(e.dport, (hosts = new Set()));
    hosts.add(e.dst);
    let ports = w.perHost.get(e.dst);
    if (ports === undefined) w.perHost.set(e.dst, (ports = new Set()));
    ports.add(e.dport);
    w.hostHits.set(e.dst, (w.hostHits.get(e.dst) ?? 0) + 1);
    if (e.transport === "tcp" && !e.established) w.halfOpen++;
    if (e.rejected) w.rejected++;
    if (learning) {
      bumpMax(this.maxHosts, e.src, hosts.size);
      bumpMax(this.maxPorts, e.src, ports.size);
      bumpMax(this.maxHalfOpen, e.src, w.halfOpen);
      return undefined;
    }
    if (e.ts < w.firedUntil) return undefined;
    const need = (m: Map<string, number>, base: number): number => Math.max(base, SCAN_LEARNED_FACTOR * (m.get(e.src) ?? 0));
    let kind = "";
    if (ports.size >= need(this.maxPorts, SCAN_MIN_PORTS)) kind = "net.port-scan";
    else if (hosts.size >= need(this.maxHosts, SCAN_MIN_HOSTS)) kind = "net.host-scan";
    else if (w.halfOpen >= need(this.maxHalfOpen, SCAN_MIN_HALF_OPEN)) kind = "net.syn-sweep";
    if (kind === "") return undefined;
    w.firedUntil = w.start + SCAN_WINDOW_S;
    return [this.draft(kind, e.src, w, kind === "net.port-scan" ? e.dst : topHost(w), e.ts, e.frame, ctx, kind === "net.host-scan" ? e.dport : -1)];
  }

  private onArp(op: number, sender: string, target: string, ts: number, learning: boolean, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    if (op !== 1 || sender === target || sender === "0.0.0.0" || sender === "") return undefined;
    const w = this.window(sender, ts);
    if (w.arpTargets.size < SCAN_MAX_TARGETS_PER_WINDOW && !w.arpTargets.has(target) && this.room(ts)) w.arpTargets.add(target);
    if (learning) {
      bumpMax(this.maxArp, sender, w.arpTargets.size);
      return undefined;
    }
    if (ts < w.arpFiredUntil || w.arpTargets.size < Math.max(ARP_SWEEP_MIN_TARGETS, SCAN_LEARNED_FACTOR * (this.maxArp.get(sender) ?? 0))) return undefined;
    w.arpFiredUntil = w.start + SCAN_WINDOW_S;
    const targets = [...w.arpTargets];
    const first = targets[0] ?? target;
    const ot = targets.some((t) => isOt(ctx.zoneOf(t)));
    return [{
      kind: "net.arp-sweep",
      severity: ot ? "high" : "medium",
      src: sender,
      dst: first,
      protocol: "arp",
      summary: `${sender} asked ARP for ${targets.length} addresses within ${Math.round((ts - w.start) / 60)} min (${first} … ${target}); in learning it asked for at most ${this.maxArp.get(sender) ?? 0} per ${SCAN_WINDOW_S / 60} min`,
      attack: ["T0846", "T1018"],
      evidence: { targets: targets.length, first_target: first, last_target: target, learned_max: this.maxArp.get(sender) ?? 0 },
      key: `net.arp-sweep|${sender}`,
      ts,
    }];
  }

  private draft(kind: string, src: string, w: ScanWindow, dst: string, ts: number, frame: number, ctx: AnalyzerContext, port: number): AnomalyDraft {
    const hosts = w.perHost.size;
    const ports = w.perPort.size;
    const dstPorts = [...(w.perHost.get(dst) ?? [])].sort((a, b) => a - b);
    const srcZone = ctx.zoneOf(src);
    const intoOt = [...w.perHost.keys()].some((h) => isOt(ctx.zoneOf(h)));
    const severity = intoOt ? (isOt(srcZone) ? "high" : "critical") : "medium";
    const what =
      kind === "net.port-scan"
        ? `probed ${dstPorts.length} ports on ${dst} (${dstPorts.slice(0, 12).join(",")}${dstPorts.length > 12 ? ",…" : ""})`
        : kind === "net.host-scan"
          ? `probed port ${port} on ${w.perPort.get(port)?.size ?? 0} hosts`
          : `sent ${w.halfOpen} connection attempts that never completed a handshake`;
    return {
      kind,
      severity,
      src,
      dst,
      protocol: "tcp/udp",
      summary: `${src} ${what} within ${Math.max(1, Math.round((ts - w.start) / 60))} min: ${plural(w.targets.size, "new target")} on ${plural(hosts, "host")} and ${plural(ports, "port")}, none contacted by it in learning`,
      attack: ["T0846", "T1046"],
      evidence: {
        targets: w.targets.size, hosts, ports, half_open: w.halfOpen, rejected: w.rejected,
        most_hit: dst, src_zone: srcZone.name, dst_zone: ctx.zoneOf(dst).name, frame,
        learned_max_ports: this.maxPorts.get(src) ?? 0, learned_max_hosts: this.maxHosts.get(src) ?? 0,
      },
      // One aggregated anomaly per scanner, whichever shape crossed first.
      key: `net.scan|${src}`,
      ts,
    };
  }

  private window(src: string, ts: number): ScanWindow {
    let w = this.windows.get(src);
    if (w === undefined || ts - w.start >= SCAN_WINDOW_S) {
      if (w !== undefined) this.release(w);
      else if (this.windows.size >= SCAN_MAX_SOURCES) this.release(evictOldest(this.windows));
      w = newWindow(ts, w?.firedUntil ?? 0, w?.arpFiredUntil ?? 0);
      this.windows.set(src, w);
    }
    return w;
  }

  /**
   * Budget full: windows that expired (their sources went quiet) still hold targets; they are dropped, at most once a
   * minute of packet time. A source that comes back gets a fresh window, as it would have (its fired-until is past).
   */
  private sweep(ts: number): void {
    if (ts - this.lastSweep < 60) return;
    this.lastSweep = ts;
    for (const [src, w] of this.windows) {
      if (ts - w.start < SCAN_WINDOW_S) continue;
      this.release(w);
      this.windows.delete(src);
    }
  }

  private release(w: ScanWindow | undefined): void {
    if (w !== undefined) this.heldTargets -= w.targets.size + w.arpTargets.size;
  }

  endLearning(_ctx: AnalyzerContext): void {
    this.windows.clear();
    this.heldTargets = 0;
  }

  exportModel(): unknown {
    return {
      version: 1, hosts: sortedRecord(this.maxHosts), ports: sortedRecord(this.maxPorts), halfOpen: sortedRecord(this.maxHalfOpen),
      arp: sortedRecord(this.maxArp), targets: [...this.learnedTargets].sort(),
    };
  }

  importModel(model: unknown): void {
    const m = modelSchema.parse(model);
    this.maxHosts = new Map(Object.entries(m.hosts));
    this.maxPorts = new Map(Object.entries(m.ports));
    this.maxHalfOpen = new Map(Object.entries(m.halfOpen));
    this.maxArp = new Map(Object.entries(m.arp));
    this.learnedTargets = new Set(m.targets);
  }

  accept(a: Anomaly): boolean {
    const w = this.windows.get(a.src);
    if (w === undefined) return false;
    if (a.kind === "net.arp-sweep") bumpMax(this.maxArp, a.src, w.arpTargets.size);
    else if (a.kind === "net.port-scan" || a.kind === "net.host-scan" || a.kind === "net.syn-sweep") {
      bumpMax(this.maxPorts, a.src, Math.max(0, ...[...w.perHost.values()].map((s) => s.size)));
      bumpMax(this.maxHosts, a.src, Math.max(0, ...[...w.perPort.values()].map((s) => s.size)));
      bumpMax(this.maxHalfOpen, a.src, w.halfOpen);
    } else return false;
    return true;
  }
}

function bumpMax(m: Map<string, number>, key: string, v: number): void {
  if (v > (m.get(key) ?? 0) && (m.has(key) || m.size < SCAN_MAX_SOURCES)) m.set(key, v);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function topHost(w: ScanWindow): string {
  let best = "";
  let n = 0;
  for (const [h, c] of w.hostHits) if (c > n) [best, n] = [h, c];
  return best;
}
