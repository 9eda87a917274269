// Network analyzer (issue 3 §3 network, §4 assets/zones): learns hosts with their MACs, talker pairs with their services
// and zone-to-zone crossings; detects new assets, new MACs for known IPs, new talker pairs and services around OT,
// crossings never learned and not allowed by a conduit, IT (L≥4) → control (L≤2) flows that skip the DMZ (always on, even
// while learning: T0886) and OT hosts talking to the internet. Scans are another analyzer's job (issue 6).
// One flow yields at most one flow-level anomaly, the most specific: it-to-ot > ot-internet > new-crossing > pair/service.

import type { Counters } from "../core/counters.ts";
import type { ArpEvent, EventBase, FlowEndEvent, FlowStartEvent } from "../core/types.ts";
import { isGroupAddress } from "./ip.ts";
import { INDUSTRIAL_SERVICES } from "./services.ts";
import type { Analyzer, AnalyzerContext, Anomaly, AnomalyDraft, ZoneInfo } from "./types.ts";
import { describeZone, isControlLevel, isDmzLevel, isItLevel, isOtLevel } from "./zones.ts";
import { emptyNetworkModel, flowFacts, formatSeconds, networkModelSchema, type FlowFacts, type NetworkModel } from "./network-model.ts";

/** Bounds (each overflow is counted in `dropped`). */
export const MAX_NET_HOSTS = 100_000;
export const MAX_NET_PAIRS = 200_000;
export const MAX_MACS_PER_HOST = 16;
export const MAX_NET_CROSSINGS = 100_000;
export const MAX_TRACKED_FLOWS = 262_144;
/** New pair/service drafts waiting for the server to answer (dropped beyond this; counted in `dropped`). */
export const MAX_PENDING_DRAFTS = 65_536;
/** A MAC used by at least this many IPs while learning is a router's: IPs behind it may move between routers. */
export const SHARED_MAC_MIN_IPS = 3;

const ANSWERED = new Set(["ok", "exception", "fault", "bad"]);
const NULL_MACS = new Set(["00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"]);

const isInternet = (z: ZoneInfo): boolean => z.name === "internet";

export class NetworkAnalyzer implements Analyzer {
  readonly name = "network";
  private model: NetworkModel = emptyNetworkModel();
  /** model.crossings as a set (the array is rebuilt, sorted, on export). */
  private crossings = new Set<string>();
  /** MACs used by ≥ SHARED_MAC_MIN_IPS learned hosts (routers); computed once per model. */
  private shared: Set<string> | undefined;
  /**
   * New talker pair / new service drafts by flow id, held until the server answers (an answered transaction on the flow,
   * or a flow.end that was established/answered): a SYN scan or a probe nobody answered is not a talker pair (scans are
   * reported by the scan analyzer). Mid-stream flows are already talking and are judged at once.
   */
  private readonly pending = new Map<string, AnomalyDraft>();
  /**
   * Flows started while learning, until their first answered transaction or their end, when they are learned again: the
   * zone map may only then know the server as OT ("learned-ot"), and the flow must be learned under that zone too.
   */
  private readonly learningFlows = new Map<string, FlowFacts>();
  private hostCount = 0;
  private pairCount = 0;
  /** Flows already judged at flow.start (so flow.end does not judge them again). */
  private readonly judged = new Set<string>();
  /** Facts not kept because a bound was reached (also counted as `detect.network.dropped.<what>`). */
  dropped = 0;

  constructor(
    private readonly zoneMap: { allows(from: string, to: string, t: "tcp" | "udp", port: number, svc: string): boolean },
    private readonly counters?: Counters,
  ) {}

  private drop(what: string): void {
    this.dropped++;
    this.counters?.add(`detect.network.dropped.${what}`);
  }

  observe(event: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
    switch (event.type) {
      case "flow.start": {
        if (this.judged.size >= MAX_TRACKED_FLOWS) {
          this.judged.clear();
          this.drop("flows");
        }
        this.judged.add(event.flow);
        const e = event as FlowStartEvent;
        const out: AnomalyDraft[] = [];
        this.host(e.src, e.srcMac, e.dst, e.frame, ctx, out);
        const f = flowFacts(e, false);
        this.flow(f, ctx, out, e.midstream ? undefined : e.flow);
        if (f && ctx.mode === "learning" && this.learningFlows.size < MAX_TRACKED_FLOWS) this.learningFlows.set(e.flow, f);
        return out;
      }
      case "flow.end": {
        const e = event as FlowEndEvent;
        const out: AnomalyDraft[] = [];
        // A RST to a SYN proves little (firewalls answer for absent hosts): only a completed handshake counts.
        const answered = e.transport === "tcp" ? e.established || (e.midstream && e.pktsToClient > 0) : e.pktsToClient > 0;
        if (answered) this.host(e.dst, undefined, e.src, e.frame, ctx, out);
        const started = this.learningFlows.get(e.flow);
        if (started) {
          this.learningFlows.delete(e.flow);
          if (ctx.mode === "learning") this.learnFlow(started, ctx);
        }
        if (!this.judged.delete(e.flow)) {
          this.host(e.src, undefined, e.dst, e.frame, ctx, out);
          this.flow(flowFacts(e, e.rejected), ctx, out, answered ? undefined : e.flow);
        }
        const held = this.pending.get(e.flow);
        if (held) {
          this.pending.delete(e.flow);
          if (answered) out.push(held);
        }
        return out;
      }
      case "arp": {
        const e = event as ArpEvent;
        if (e.senderIp === "0.0.0.0" || e.senderIp === "") return undefined;
        const out: AnomalyDraft[] = [];
        this.host(e.senderIp, e.senderMac, "", e.frame, ctx, out);
        return out;
      }
      default: {
        // A protocol transaction that got an answer proves the server exists.
        const status = (event as { status?: unknown }).status;
        if (typeof status !== "string" || !ANSWERED.has(status) || !event.dst) return undefined;
        const out: AnomalyDraft[] = [];
        this.host(event.dst, undefined, event.src, event.frame, ctx, out);
        const started = this.learningFlows.get(event.flow);
        if (started) {
          this.learningFlows.delete(event.flow);
          if (ctx.mode === "learning") this.learnFlow(started, ctx);
        }
        const held = this.pending.get(event.flow);
        if (held) {
          this.pending.delete(event.flow);
          out.push(held);
        }
        return out;
      }
    }
  }

  /** A host sent something (or answered): learn it with its MAC, or report it as new / using a new MAC. */
  private host(ip: string, mac: string | undefined, peer: string, frame: number, ctx: AnalyzerContext, out: AnomalyDraft[]): void {
    if (!ip || ip === "0.0.0.0" || ip === "::" || isGroupAddress(ip)) return;
    const m = mac && !NULL_MACS.has(mac) ? mac.toLowerCase() : undefined;
    const known = this.model.hosts[ip];
    if (ctx.mode === "learning") {
      if (!known) {
        if (this.hostCount >= MAX_NET_HOSTS) {
          this.drop("hosts");
          return;
        }
        this.hostCount++;
        this.model.hosts[ip] = m ? [m] : [];
      } else if (m && !known.includes(m) && known.length < MAX_MACS_PER_HOST) {
        known.push(m);
        known.sort();
      }
      return;
    }
    // A known host seen without a MAC (every answered transaction) has nothing to check: no zone lookup for it.
    if (known && (!m || known.length === 0 || known.includes(m))) return;
    const z = ctx.zoneOf(ip);
    if (!known) {
      const pz = peer ? ctx.zoneOf(peer) : undefined;
      // IT hosts come and go (DHCP, laptops); an IT host reaching into OT is reported by the zone checks instead.
      const relevant = !isInternet(z) && !isItLevel(z.level) &&
        (isOtLevel(z.level) || isDmzLevel(z.level) || (pz !== undefined && isOtLevel(pz.level)));
      if (!relevant) return;
      out.push({
        kind: "net.new-asset",
        severity: isOtLevel(z.level) ? "high" : "medium",
        src: ip,
        dst: peer,
        protocol: "ip",
        summary: `${ip} (${describeZone(z)}) appeared${peer ? ` talking with ${peer}` : ""}: it was not seen during the ` +
          `${formatSeconds(ctx.learnedSeconds)} of learning`,
        attack: ["T0848"],
        evidence: { ip, mac: m ?? "", peer, zone: z.name, frame },
        key: `net.new-asset|${ip}`,
      });
      return;
    }
    if (!m || isItLevel(z.level) || isInternet(z)) return;
    if (known.every((k) => this.sharedMac(k)) || this.sharedMac(m)) return;
    out.push({
      kind: "net.new-mac",
      severity: "high",
      src: ip,
      dst: peer,
      protocol: "ethernet",
      summary: `${ip} (${describeZone(z)}) now answers from MAC ${m}; during learning it only used ${known.join(", ")}`,
      attack: ["T0830"],
      evidence: { ip, mac: m, learned_macs: known.join(","), frame },
      key: `net.new-mac|${ip}|${m}`,
    });
  }

  private sharedMac(mac: string): boolean {
    if (!this.shared) {
      const use = new Map<string, number>();
      for (const macs of Object.values(this.model.hosts)) for (const m of macs) use.set(m, (use.get(m) ?? 0) + 1);
      this.shared = new Set([...use].filter(([, n]) => n >= SHARED_MAC_MIN_IPS).map(([m]) => m));
    }
    return this.shared.has(mac);
  }

  /** Judge one flow (client → server). `holdFor`: the flow id under which a pair/service draft waits for an answer. */
  private flow(f: FlowFacts | undefined, ctx: AnalyzerContext, out: AnomalyDraft[], holdFor?: string): void {
    if (!f || isGroupAddress(f.server)) return;
    const zc = ctx.zoneOf(f.client);
    const zs = ctx.zoneOf(f.server);
    const allowed = this.zoneMap.allows(zc.name, zs.name, f.transport, f.port, f.service);
    // Texts and evidence are built only for a draft: most flows (a SYN flood above all) produce none.
    if (isItLevel(zc.level) && isControlLevel(zs.level) && !allowed) {
      out.push({
        kind: "zone.it-to-ot",
        severity: INDUSTRIAL_SERVICES.has(f.service) ? "critical" : "high",
        src: f.client,
        dst: f.server,
        protocol: f.service,
        summary: `${who(f, zc, zs)}: no conduit allows ${zc.name}→${zs.name} and it skips the DMZ`,
        attack: ["T0886"],
        evidence: flowEvidence(f, zc, zs),
        alwaysOn: true,
      });
      return;
    }
    if (ctx.mode === "learning") {
      this.learnFlow(f, ctx);
      return;
    }
    if (zc.name !== zs.name && !allowed) {
      const crossing = `${zc.name}>${zs.name}>${f.service}`;
      if (!this.crossings.has(crossing)) {
        if ((isOtLevel(zc.level) && isInternet(zs)) || (isInternet(zc) && isOtLevel(zs.level))) {
          const inbound = isInternet(zc);
          out.push({
            kind: "net.ot-internet",
            severity: "high",
            src: f.client,
            dst: f.server,
            protocol: f.service,
            summary: `${who(f, zc, zs)}: during learning no host of ${inbound ? zs.name : zc.name} ${inbound ? "was reached from" : "reached"} ` +
              `the internet over ${f.service} and no conduit allows it`,
            attack: inbound ? ["T0883"] : ["T0869"],
            evidence: flowEvidence(f, zc, zs),
          });
          return;
        }
        const nearOt = isOtLevel(zc.level) || isOtLevel(zs.level) || isDmzLevel(zc.level) || isDmzLevel(zs.level);
        if (nearOt && !isInternet(zc) && !isInternet(zs)) {
          out.push({
            kind: "zone.new-crossing",
            severity: isControlLevel(zs.level) ? "high" : "medium",
            src: f.client,
            dst: f.server,
            protocol: f.service,
            summary: `${who(f, zc, zs)}: no ${zc.name}→${zs.name} flow used ${f.service} during the ${formatSeconds(ctx.learnedSeconds)} ` +
              `of learning and no conduit allows it`,
            attack: ["T0886"],
            evidence: flowEvidence(f, zc, zs),
            // one record per source and crossing: a sweep across a zone is one line per service, not one per address
            key: `zone.new-crossing|${f.client}|${crossing}`,
          });
          return;
        }
      }
    }
    if (allowed || !this.aroundOt(zc, zs)) return; // a conduit allows this crossing by design, for any host of the zones
    const services = this.model.pairs[`${f.client}>${f.server}`];
    let draft: AnomalyDraft | undefined;
    if (!services) {
      draft = {
        kind: "net.new-talker-pair",
        severity: isControlLevel(zs.level) && INDUSTRIAL_SERVICES.has(f.service) ? "high" : "medium",
        src: f.client,
        dst: f.server,
        protocol: f.service,
        summary: `${who(f, zc, zs)}: these two hosts never talked during the ${formatSeconds(ctx.learnedSeconds)} of learning`,
        attack: INDUSTRIAL_SERVICES.has(f.service) ? ["T0886", "T0848"] : ["T0886"],
        evidence: flowEvidence(f, zc, zs),
        ts: f.ts,
      };
    } else if (!services.includes(f.service)) {
      draft = {
        kind: "net.new-service",
        severity: "medium",
        src: f.client,
        dst: f.server,
        protocol: f.service,
        summary: `${who(f, zc, zs)}: during learning this pair only used ${services.join(", ")}`,
        attack: ["T0886"],
        evidence: { ...flowEvidence(f, zc, zs), learned_services: services.join(",") },
        key: `net.new-service|${f.client}|${f.server}|${f.service}`,
        ts: f.ts,
      };
    }
    if (!draft) return;
    if (holdFor === undefined) out.push(draft);
    else if (this.pending.size < MAX_PENDING_DRAFTS) this.pending.set(holdFor, draft);
    else this.drop("pending");
  }

  /** Records a flow's crossing and talker pair under the zones as they are now. */
  private learnFlow(f: FlowFacts, ctx: AnalyzerContext): void {
    const zc = ctx.zoneOf(f.client);
    const zs = ctx.zoneOf(f.server);
    if (zc.name !== zs.name) {
      if (this.crossings.size < MAX_NET_CROSSINGS) this.crossings.add(`${zc.name}>${zs.name}>${f.service}`);
      else this.drop("crossings");
    }
    if (this.aroundOt(zc, zs)) this.learnPair(f);
  }

  /** Pairs are learned and checked where at least one end is OT and neither end is IT or the internet. */
  private aroundOt(zc: ZoneInfo, zs: ZoneInfo): boolean {
    if (isInternet(zc) || isInternet(zs) || isItLevel(zc.level) || isItLevel(zs.level)) return false;
    return isOtLevel(zc.level) || isOtLevel(zs.level);
  }

  private learnPair(f: FlowFacts): void {
    const key = `${f.client}>${f.server}`;
    const services = this.model.pairs[key];
    if (services) {
      if (!services.includes(f.service)) {
        services.push(f.service);
        services.sort();
      }
    } else if (this.pairCount < MAX_NET_PAIRS) {
      this.pairCount++;
      this.model.pairs[key] = [f.service];
    } else this.drop("pairs");
  }

  endLearning(): void {
    this.shared = undefined;
    this.learningFlows.clear();
  }

  exportModel(): NetworkModel {
    return { ...structuredClone(this.model), crossings: [...this.crossings].sort() };
  }

  importModel(model: unknown): void {
    this.model = networkModelSchema.parse(model);
    this.crossings = new Set(this.model.crossings);
    this.hostCount = Object.keys(this.model.hosts).length;
    this.pairCount = Object.keys(this.model.pairs).length;
    this.shared = undefined;
  }

  /** Folds an accepted anomaly into the model: the host/MAC, crossing or pair service is learned. */
  accept(a: Anomaly): boolean {
    let ev: Record<string, unknown>;
    try {
      ev = JSON.parse(a.evidence) as Record<string, unknown>;
    } catch {
      return false;
    }
    switch (a.kind) {
      case "net.new-asset":
      case "net.new-mac": {
        const macs = (this.model.hosts[a.src] ??= []);
        if (typeof ev.mac === "string" && ev.mac && !macs.includes(ev.mac)) macs.push(ev.mac);
        macs.sort();
        this.shared = undefined;
        return true;
      }
      case "zone.new-crossing":
      case "net.ot-internet":
        this.crossings.add(`${String(ev.client_zone)}>${String(ev.server_zone)}>${String(ev.service)}`);
        return true;
      case "net.new-talker-pair":
      case "net.new-service": {
        const services = (this.model.pairs[`${a.src}>${a.dst}`] ??= []);
        if (typeof ev.service === "string" && !services.includes(ev.service)) services.push(ev.service);
        services.sort();
        return true;
      }
      default:
        return false;
    }
  }
}

/** "10.0.0.5 (ops, L3) opened modbus to 10.0.1.2 (cell, L1)": the subject of every flow-level summary. */
function who(f: FlowFacts, zc: ZoneInfo, zs: ZoneInfo): string {
  return `${f.client} (${describeZone(zc)}) ${f.rejected ? "tried to open" : "opened"} ${f.service} to ${f.server} (${describeZone(zs)})`;
}

function flowEvidence(f: FlowFacts, zc: ZoneInfo, zs: ZoneInfo): Record<string, string | number | boolean> {
  return {
    service: f.service, transport: f.transport, port: f.port, client_zone: zc.name, server_zone: zs.name,
    rejected: f.rejected, frame: f.frame,
  };
}
