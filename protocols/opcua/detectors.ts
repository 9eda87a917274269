// The OPC UA analyzer: learns the per-channel model (model.ts) while learning; while detecting checks each service call,
// secure-channel action and secured message against it. Kinds and severity policy:
//   high    opcua.write-new-node, opcua.call-new-method, opcua.write-out-of-range, opcua.security-downgrade,
//           opcua.anonymous-login, opcua.new-service for Write/Call/AddNodes/DeleteNodes/AddReferences/DeleteReferences/
//           HistoryUpdate, opcua.new-client from an IT zone (Purdue level 4+) or whose first call writes/calls
//   medium  opcua.new-client, opcua.new-certificate, opcua.new-application, opcua.browse-storm, opcua.session-churn,
//           opcua.new-service for reading/browsing services
//   low     opcua.new-service for other services
// Session lifecycle services (sessions, subscriptions, publish, discovery) never count as new: a known client opening a
// new session or renewing its secure channel is normal. Rates are relative to the learned peaks, with floors.

import type { EventBase } from "../../src/core/types.ts";
import type { Analyzer, AnalyzerContext, AnomalyDraft, Anomaly, Severity } from "../../src/detect/types.ts";
import { formatDuration, formatRange, isInRange, ReportGate, WindowCounter } from "../../src/detect/learned-stats.ts";
import type { OpcuaEvent, OpcuaServiceEvent } from "./events.ts";
import {
  BROWSE_SERVICES, BROWSE_WINDOW_S, browseOps, DISCOVERY_SERVICES, methodsOf, numericValue, OpcuaBaseline, opcuaChannelKey,
  securityPair, SESSION_WINDOW_S, type OpcuaChannelState,
} from "./model.ts";
import { isWeakerThanLearned } from "./security.ts";
import { acceptOpcuaAnomaly } from "./accept.ts";

/** Browse storm: more than max(FACTOR × learned peak, learned peak + FLOOR) browse operations in BROWSE_WINDOW_S. */
export const BROWSE_FACTOR = 4;
export const BROWSE_FLOOR = 50;
/** Session churn: more than max(FACTOR × learned peak, learned peak + FLOOR) sessions (or channels) in SESSION_WINDOW_S. */
export const CHURN_FACTOR = 4;
export const CHURN_FLOOR = 10;
export const REPORT_REPEAT_S = 60;
export const MAX_RUNTIME_CHANNELS = 4096;
export const MAX_REPORTED_FACTS = 20000;

const LIFECYCLE_SERVICES = new Set([
  "CreateSession", "ActivateSession", "CloseSession", "Cancel", "Publish", "Republish", "CreateSubscription", "ModifySubscription",
  "SetPublishingMode", "TransferSubscriptions", "DeleteSubscriptions", "CreateMonitoredItems", "ModifyMonitoredItems",
  "SetMonitoringMode", "SetTriggering", "DeleteMonitoredItems", "RegisterNodes", "UnregisterNodes", ...DISCOVERY_SERVICES,
]);
const HIGH_SERVICES = new Set(["Write", "Call", "AddNodes", "DeleteNodes", "AddReferences", "DeleteReferences", "HistoryUpdate"]);
const MEDIUM_SERVICES = new Set(["Read", "HistoryRead", "QueryFirst", "QueryNext", ...BROWSE_SERVICES]);

interface Runtime {
  sessions: WindowCounter;
  channels: WindowCounter;
  browse: WindowCounter;
}

/** What one (client, server, port) resolves to while detecting: found once, then reused for every event. */
interface ChannelRef {
  readonly key: string;
  readonly ch: OpcuaChannelState | undefined;
  readonly rt: Runtime | undefined;
}

/** securityPair(policy, mode), built once per distinct (policy URI, mode) instead of per event. Bounded. */
const pairCache = new Map<string, Map<string, string>>();
function cachedSecurityPair(policy: string, mode: string): string {
  let byMode = pairCache.get(policy);
  if (byMode === undefined) {
    if (pairCache.size >= 256) pairCache.clear();
    pairCache.set(policy, (byMode = new Map()));
  }
  let pair = byMode.get(mode);
  if (pair === undefined) {
    pair = securityPair(policy, mode);
    if (byMode.size < 64) byMode.set(mode, pair);
  }
  return pair;
}

/** "a, b, c and 4 more" / "nothing". */
function list(items: readonly string[], max = 4): string {
  if (items.length === 0) return "nothing";
  return items.slice(0, max).join(", ") + (items.length > max ? ` and ${items.length - max} more` : "");
}

export function createOpcuaAnalyzer(): Analyzer {
  const baseline = new OpcuaBaseline();
  const gate = new ReportGate(REPORT_REPEAT_S, MAX_REPORTED_FACTS);
  const runtime = new Map<string, Runtime>();
  let frozenSeconds: number | undefined;
  /** client → server → port → resolved channel (no key string per event). Dropped whenever the baseline's channels
   * or the runtime map may have changed (learning, import, accept); bounded by MAX_RUNTIME_CHANNELS entries. */
  let refs = new Map<string, Map<string, Map<number, ChannelRef>>>();
  let refCount = 0;
  /** Drafts of the event being checked (reused; undefined entries are facts the gate held back). */
  const out: (AnomalyDraft | undefined)[] = [];

  function forgetRefs(): void {
    if (refCount > 0) refs = new Map();
    refCount = 0;
  }

  function channelRef(e: OpcuaEvent): ChannelRef {
    if (refCount >= MAX_RUNTIME_CHANNELS) forgetRefs();
    let byServer = refs.get(e.src);
    if (byServer === undefined) refs.set(e.src, (byServer = new Map()));
    let byPort = byServer.get(e.dst);
    if (byPort === undefined) byServer.set(e.dst, (byPort = new Map()));
    let ref = byPort.get(e.dport);
    if (ref === undefined) {
      const key = opcuaChannelKey(e.src, e.dst, e.dport);
      ref = { key, ch: baseline.channels.get(key), rt: runtimeOf(key) };
      byPort.set(e.dport, ref);
      refCount++;
    }
    return ref;
  }

  const learned = (): string => `during ${formatDuration(baseline.learnedSeconds)} of learning`;

  function draft(e: OpcuaEvent, kind: string, severity: Severity, attack: string[], summary: string, evidence: AnomalyDraft["evidence"], fact?: string): AnomalyDraft | undefined {
    if (!gate.allow(`${kind}|${e.src}|${e.dst}:${e.dport}|${fact ?? ""}`, e.ts)) return undefined;
    const d: AnomalyDraft = {
      kind, severity, src: e.src, dst: e.dst, protocol: "opcua", summary, attack, ts: e.ts,
      evidence: { client: e.src, server: e.dst, port: e.dport, frame: e.frame, ...evidence },
    };
    if (fact !== undefined) d.key = `${kind}|${e.src}|${e.dst}|${fact}`;
    return d;
  }

  function runtimeOf(key: string): Runtime | undefined {
    let rt = runtime.get(key);
    if (rt === undefined && runtime.size < MAX_RUNTIME_CHANNELS) {
      rt = { sessions: new WindowCounter(SESSION_WINDOW_S), channels: new WindowCounter(SESSION_WINDOW_S), browse: new WindowCounter(BROWSE_WINDOW_S) };
      runtime.set(key, rt);
    }
    return rt;
  }

  function checkNewClient(e: OpcuaEvent, ctx: AnalyzerContext, out: (AnomalyDraft | undefined)[]): void {
    if (!gate.wouldAllow(`opcua.new-client|${e.src}|${e.dst}:${e.dport}|`, e.ts)) return;
    const clients = [...baseline.channels.values()].filter((c) => c.m.server === e.dst && c.m.port === e.dport).map((c) => c.m.client).sort();
    const what = e.type === "opcua.service" ? `called ${e.service}` : e.type === "opcua.channel" ? `opened a secure channel` : "connected";
    const zone = ctx.zoneOf(e.src);
    const fromIt = zone.level >= 4;
    const sev: Severity = fromIt || (e.type === "opcua.service" && HIGH_SERVICES.has(e.service)) ? "high" : "medium";
    out.push(draft(e, "opcua.new-client", sev, ["T0886"], `${e.src}${fromIt ? ` (zone ${zone.name}, level ${zone.level})` : ""} ${what} on ${e.dst}:${e.dport}, a client never seen there; ${learned()} ${clients.length === 0 ? "it had no client" : `its clients were ${list(clients)}`}`, { learnedClients: clients.join(","), srcZone: zone.name }));
  }

  function churn(e: OpcuaEvent, ch: OpcuaChannelState | undefined, out: (AnomalyDraft | undefined)[], n: number, peak: number, what: string): void {
    if (n <= Math.max(CHURN_FACTOR * peak, peak + CHURN_FLOOR)) return;
    out.push(draft(e, "opcua.session-churn", "medium", ["T0814"], `${e.src} opened ${n} ${what} on ${e.dst}:${e.dport} within ${SESSION_WINDOW_S / 60} min; ${learned()} at most ${peak} per ${SESSION_WINDOW_S / 60} min (${ch?.m.sessions ?? 0} sessions in all)`, { count: n, learnedPeak: peak, windowSeconds: SESSION_WINDOW_S }));
  }

  function checkRates(e: OpcuaEvent, ch: OpcuaChannelState | undefined, rt: Runtime, out: (AnomalyDraft | undefined)[]): void {
    if (e.type === "opcua.channel" && e.action === "open") churn(e, ch, out, rt.channels.add(e.ts), ch?.m.peakChannels ?? 0, "secure channels");
    if (e.type !== "opcua.service") return;
    if (e.service === "CreateSession") churn(e, ch, out, rt.sessions.add(e.ts), ch?.m.peakSessions ?? 0, "sessions");
    if (BROWSE_SERVICES.has(e.service)) {
      const peak = ch?.m.peakBrowseOps ?? 0;
      const n = rt.browse.add(e.ts, browseOps(e));
      if (n > Math.max(BROWSE_FACTOR * peak, peak + BROWSE_FLOOR))
        out.push(draft(e, "opcua.browse-storm", "medium", ["T0846", "T0888"], `${e.src} browsed ${n} nodes on ${e.dst}:${e.dport} within ${BROWSE_WINDOW_S} s; ${learned()} at most ${peak} per ${BROWSE_WINDOW_S} s`, { operations: n, learnedPeak: peak, windowSeconds: BROWSE_WINDOW_S }));
    }
  }

  function checkSecurity(e: OpcuaEvent, ch: OpcuaChannelState, out: (AnomalyDraft | undefined)[]): void {
    let learnedPairs: string[];
    if (e.type === "opcua.channel" && e.action !== "close") learnedPairs = ch.m.security;
    else if (e.type === "opcua.secure-msg") learnedPairs = ch.m.sessionSecurity;
    else if (e.type === "opcua.service" && !DISCOVERY_SERVICES.has(e.service) && e.status !== "unsolicited") learnedPairs = ch.m.sessionSecurity;
    else return;
    const pair = cachedSecurityPair(e.securityPolicy, e.securityMode);
    if (pair === undefined || !isWeakerThanLearned(pair, learnedPairs)) return;
    const via = e.type === "opcua.service" ? ` for ${e.service}` : e.type === "opcua.channel" ? " on a new secure channel" : "";
    out.push(draft(e, "opcua.security-downgrade", "high", ["T1562.010"], `${e.src} used security ${pair}${via} on ${e.dst}:${e.dport}; ${learned()} it used only ${list(learnedPairs)}`, { security: pair, learned: learnedPairs.join(",") }, pair));
  }

  function checkCertificate(e: OpcuaEvent, ch: OpcuaChannelState, thumb: string | undefined, out: (AnomalyDraft | undefined)[]): void {
    if (!thumb || ch.m.certificates.length === 0) return;
    const t = thumb.toLowerCase();
    if (ch.has("certificates", t)) return;
    out.push(draft(e, "opcua.new-certificate", "medium", ["T0859"], `${e.src} presented client certificate ${t} to ${e.dst}:${e.dport}; ${learned()} it presented only ${list(ch.m.certificates, 2)}`, { thumbprint: t, learned: ch.m.certificates.join(",") }, t));
  }

  function checkService(e: OpcuaServiceEvent, ch: OpcuaChannelState, out: (AnomalyDraft | undefined)[]): void {
    const m = ch.m;
    const req = e.request;
    if (m.services[e.service] === undefined && !LIFECYCLE_SERVICES.has(e.service)) {
      const sev: Severity = HIGH_SERVICES.has(e.service) ? "high" : MEDIUM_SERVICES.has(e.service) ? "medium" : "low";
      const attack = HIGH_SERVICES.has(e.service) ? ["T0855"] : BROWSE_SERVICES.has(e.service) ? ["T0846", "T0888"] : ["T0855"];
      out.push(draft(e, "opcua.new-service", sev, attack, `${e.src} called ${e.service} on ${e.dst}:${e.dport}; ${learned()} it called only ${list(Object.keys(m.services).sort(), 8)}`, { service: e.service, learned: Object.keys(m.services).sort().join(",") }, e.service));
    }
    if (e.service === "CreateSession") {
      checkCertificate(e, ch, req?.clientCertThumbprint, out);
      const uri = req?.clientUri;
      if (uri && m.applicationUris.length > 0 && !ch.has("applicationUris", uri))
        out.push(draft(e, "opcua.new-application", "medium", ["T0886"], `${e.src} opened a session on ${e.dst}:${e.dport} as application ${uri}; ${learned()} it was only ${list(m.applicationUris, 3)}`, { applicationUri: uri, learned: m.applicationUris.join(",") }, uri));
    }
    if (e.service === "ActivateSession" && req?.identityToken === "anonymous" && m.identityTokens.length > 0 && !ch.has("identityTokens", "anonymous"))
      out.push(draft(e, "opcua.anonymous-login", "high", ["T0859"], `${e.src} activated an anonymous session on ${e.dst}:${e.dport}; ${learned()} it always logged in with ${list(m.identityTokens)}`, { identityToken: "anonymous", learned: m.identityTokens.join(",") }, "anonymous"));
    if (e.service === "Write") {
      for (const w of req?.writes ?? []) {
        const shown = `${w.value.value}`;
        if (!ch.has("written", w.node)) {
          out.push(draft(e, "opcua.write-new-node", "high", ["T0836", "T0855"], `${e.src} wrote ${w.node} on ${e.dst}:${e.dport} (value ${shown}); ${learned()} ${m.written.length === 0 ? "it never wrote a node" : `it only wrote ${list(m.written)}`}`, { node: w.node, value: shown, valueType: w.value.type, learned: m.written.slice(0, 20).join(",") }, w.node));
          continue;
        }
        const r = m.values[w.node];
        const v = numericValue(w.value);
        if (r === undefined || v === undefined || isInRange(r, v)) continue;
        out.push(draft(e, "opcua.write-out-of-range", "high", ["T0836"], `${e.src} wrote ${w.node} on ${e.dst}:${e.dport} with ${shown}; ${learned()} it wrote ${formatRange(r)} (${r.n} writes)`, { node: w.node, value: v, learnedMin: r.min, learnedMax: r.max, learnedWrites: r.n }, `${w.node}|${v}`));
      }
    }
    if (e.service === "Call") {
      for (const method of methodsOf(e)) {
        if (ch.has("called", method)) continue;
        out.push(draft(e, "opcua.call-new-method", "high", ["T0855"], `${e.src} called method ${method} on ${e.dst}:${e.dport}; ${learned()} ${m.called.length === 0 ? "it never called a method" : `it only called ${list(m.called)}`}`, { method, learned: m.called.slice(0, 20).join(",") }, method));
      }
    }
  }

  return {
    name: "opcua",
    observe(event: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
      if (!event.type.startsWith("opcua.")) return undefined;
      const e = event as OpcuaEvent;
      if (ctx.mode === "learning") {
        baseline.learn(e);
        forgetRefs(); // channels may be added: resolve afresh once detecting again
        return undefined;
      }
      if (frozenSeconds === undefined) frozenSeconds = baseline.learnedSeconds = ctx.learnedSeconds || ctx.learnSeconds;
      if (out.length !== 0) out.length = 0; // left over only if a check threw
      const ref = channelRef(e);
      const ch = ref.ch;
      if (ch === undefined) checkNewClient(e, ctx, out);
      else {
        checkSecurity(e, ch, out);
        if (e.type === "opcua.channel" && e.action !== "close") checkCertificate(e, ch, e.clientCertThumbprint, out);
        if (e.type === "opcua.service" && e.status !== "unsolicited") checkService(e, ch, out);
      }
      if (ref.rt !== undefined) checkRates(e, ch, ref.rt, out);
      if (out.length === 0) return undefined;
      const drafts = out.filter((d): d is AnomalyDraft => d !== undefined);
      out.length = 0;
      return drafts.length > 0 ? drafts : undefined;
    },

    endLearning(ctx: AnalyzerContext): void {
      frozenSeconds = baseline.learnedSeconds = ctx.learnedSeconds || ctx.learnSeconds;
      forgetRefs();
    },

    exportModel(): unknown {
      return baseline.export();
    },

    importModel(model: unknown): void {
      baseline.import(model);
      frozenSeconds = baseline.learnedSeconds;
      runtime.clear();
      forgetRefs();
    },

    accept(anomaly: Anomaly): boolean {
      const accepted = acceptOpcuaAnomaly(baseline, anomaly);
      forgetRefs(); // a channel may have been added
      return accepted;
    },
  };
}
