// The Modbus/TCP analyzer: learns the per-channel model (model.ts, polling.ts) while learning, and while detecting checks
// every transaction against it. Kinds and severity policy:
//   critical  modbus.restart (FC8/1), modbus.listen-only (FC8/4), modbus.programming (vendor/user codes 65-72, 90,
//             100-110, 125, 126) — each only when the channel never used that code/sub-function while learning;
//             modbus.new-channel from a client in an IT zone (Purdue level 4 or above)
//   high      modbus.write-new-address, modbus.write-out-of-range, modbus.new-function-code for a writing code,
//             modbus.request-flood, modbus.loss-of-view, modbus.new-channel from a host that never was a Modbus client
//             or whose first request writes
//   medium    modbus.new-function-code (other codes), modbus.diagnostics (other FC8), modbus.device-identification
//             (FC43/14), modbus.exception-burst, modbus.unit-sweep, modbus.address-sweep, modbus.function-code-sweep,
//             modbus.new-channel, modbus.poll-period-change
// Thresholds are relative to what was learned, with floors; nothing here knows any plant's addresses or rates.

import type { EventBase } from "../../src/core/types.ts";
import type { Analyzer, AnalyzerContext, AnomalyDraft, Anomaly, Severity } from "../../src/detect/types.ts";
import { DistinctWindow, formatDuration, ReportGate, WindowCounter } from "../../src/detect/learned-stats.ts";
import type { ModbusTransactionEvent } from "./events.ts";
import { pollKeyOf, pollNumKeyOf, rangesContain, readStartOf, readTableOf, writeStartOf, writeTableOf } from "./addresses.ts";
import { ChannelState, channelKey, EXCEPTION_WINDOW_S, ModbusBaseline, RATE_WINDOW_S } from "./model.ts";
import { checkWrites, describeChannel, fcLabel } from "./write-checks.ts";
import { acceptModbusAnomaly } from "./accept.ts";

/** A flood is more than max(FACTOR × learned peak, learned peak + FLOOR) requests in one RATE_WINDOW_S window. */
export const FLOOD_FACTOR = 4;
export const FLOOD_FLOOR = 100;
/** An exception burst is at least max(FACTOR × learned peak, learned peak + FLOOR) exceptions in EXCEPTION_WINDOW_S. */
export const EXCEPTION_BURST_FACTOR = 3;
export const EXCEPTION_BURST_FLOOR = 10;
/** Sweeps: distinct unlearned unit ids per (client, server), or unlearned start addresses per channel, in a window. */
export const SWEEP_WINDOW_S = 60;
export const UNIT_SWEEP_MIN = 5;
export const ADDRESS_SWEEP_MIN = 20;
/** A function-code sweep: this many distinct unlearned codes on one channel in SWEEP_WINDOW_S. Past it, the sweep is
 * reported once (per REPORT_REPEAT_S) instead of one new-function-code or programming anomaly per code. */
export const FUNCTION_SWEEP_MIN = 8;
/** A fact already reported is reported again at most once per this many seconds (the engine aggregates repeats). */
export const REPORT_REPEAT_S = 60;
/** Bounds of detection-time state (per-channel windows, remembered reports). */
export const MAX_RUNTIME_CHANNELS = 8192;
export const MAX_REPORTED_FACTS = 20000;

const PROGRAMMING_CODES = new Set([65, 66, 67, 68, 69, 70, 71, 72, 90, 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 125, 126]);
const WRITING_CODES = new Set([5, 6, 15, 16, 21, 22, 23]);

interface Runtime {
  requests: WindowCounter;
  exceptions: WindowCounter;
  addresses: DistinctWindow;
  functions: DistinctWindow;
  /** Packet time until which the channel counts as sweeping function codes (sticky across window boundaries). */
  sweepingUntil: number;
}

/** The channels of one flow (its client and server kept to check that an event matches). */
interface FlowRefs {
  readonly src: string;
  readonly dst: string;
  readonly byUnit: Map<number, ChannelRef>;
}

/** What one (client, server, unit) resolves to while detecting: found once, then reused for every transaction. */
interface ChannelRef {
  readonly key: string;
  readonly ch: ChannelState | undefined;
  readonly rt: Runtime | undefined;
}

export function createModbusAnalyzer(): Analyzer {
  const baseline = new ModbusBaseline();
  const gate = new ReportGate(REPORT_REPEAT_S, MAX_REPORTED_FACTS);
  const runtime = new Map<string, Runtime>();
  const units = new Map<string, DistinctWindow>();
  let frozen = false;
  /** flow id → (client, server) → unit → resolved channel (no key string built per transaction). Dropped whenever the
   * baseline's channels or the runtime map may have changed (learning, import, accept); bounded by MAX_RUNTIME_CHANNELS
   * entries. */
  let refs = new Map<string, FlowRefs>();
  let refCount = 0;
  /** No channel can be overdue before this packet time (the lowest loss-of-view deadline when last computed). Lowered
   * to -Infinity whenever a deadline may have moved earlier or a channel may have become watched again. */
  let nextDue = -Infinity;
  /** Drafts of the transaction being checked (reused; handed out as a copy only when something was found). */
  const out: AnomalyDraft[] = [];

  function forgetRefs(): void {
    if (refCount > 0) refs = new Map();
    refCount = 0;
  }

  function prepare(ctx: AnalyzerContext): void {
    if (!frozen) {
      baseline.freeze(ctx.ts, ctx.learnedSeconds || ctx.learnSeconds);
      frozen = true;
      forgetRefs();
      nextDue = -Infinity;
    }
  }

  function channelRef(e: ModbusTransactionEvent): ChannelRef {
    let flow = refs.get(e.flow);
    let ref = flow !== undefined && flow.src === e.src && flow.dst === e.dst ? flow.byUnit.get(e.unit) : undefined;
    if (ref !== undefined) return ref;
    if (refCount >= MAX_RUNTIME_CHANNELS) {
      forgetRefs();
      flow = undefined;
    }
    if (flow === undefined || flow.src !== e.src || flow.dst !== e.dst) refs.set(e.flow, (flow = { src: e.src, dst: e.dst, byUnit: new Map() }));
    const key = channelKey(e.src, e.dst, e.unit);
    ref = { key, ch: baseline.channels.get(key), rt: runtimeOf(key) };
    flow.byUnit.set(e.unit, ref);
    refCount++;
    return ref;
  }

  function runtimeOf(key: string): Runtime | undefined {
    let rt = runtime.get(key);
    if (rt === undefined && runtime.size < MAX_RUNTIME_CHANNELS) {
      rt = { requests: new WindowCounter(RATE_WINDOW_S), exceptions: new WindowCounter(EXCEPTION_WINDOW_S), addresses: new DistinctWindow(SWEEP_WINDOW_S, ADDRESS_SWEEP_MIN * 4), functions: new DistinctWindow(SWEEP_WINDOW_S, 256), sweepingUntil: -Infinity };
      runtime.set(key, rt);
    }
    return rt;
  }

  function learned(): string {
    return `during ${formatDuration(baseline.learnedSeconds)} of learning`;
  }

  function draft(e: ModbusTransactionEvent, kind: string, severity: Severity, attack: string[], summary: string, evidence: AnomalyDraft["evidence"], key?: string): AnomalyDraft {
    const d: AnomalyDraft = {
      kind, severity, src: e.src, dst: e.dst, protocol: "modbus", summary, attack,
      evidence: { client: e.src, server: e.dst, unit: e.unit, fc: e.fc, frame: e.frame, ...evidence },
      ts: e.ts,
    };
    if (key !== undefined) d.key = key;
    return d;
  }

  /** Counts an unlearned function code; true when the channel is sweeping codes (the sweep is reported instead). */
  function isSweeping(e: ModbusTransactionEvent, rt: Runtime | undefined, out: AnomalyDraft[]): boolean {
    if (rt === undefined) return false;
    const n = rt.functions.add(e.ts, e.fc);
    if (n < FUNCTION_SWEEP_MIN && e.ts > rt.sweepingUntil) return false;
    if (n >= FUNCTION_SWEEP_MIN) rt.sweepingUntil = e.ts + 5 * SWEEP_WINDOW_S;
    if (gate.allow(`modbus.function-code-sweep|${e.src}|${e.dst}|${e.unit}`, e.ts))
      out.push(draft(e, "modbus.function-code-sweep", "medium", ["T0888", "T0846"], `${e.src} tried ${n} function codes never used on unit ${e.unit} of ${e.dst} within ${SWEEP_WINDOW_S} s (last FC${e.fc}); ${learned()} it used ${learnedFunctions(baseline.get(e.src, e.dst, e.unit))}`, { functions: n }));
    return true;
  }

  /** "FC2, FC3, FC6": the function codes a channel used while learning. */
  function learnedFunctions(ch: ChannelState | undefined): string {
    return ch === undefined ? "no function on this channel" : Object.keys(ch.m.functionCodes).map((f) => `FC${f}`).join(", ");
  }

  // Summary fragments, built only when something is reported (checkCode runs for every request).
  function who(e: ModbusTransactionEvent): string {
    return `${e.src} sent ${fcLabel(e.fc)} (FC${e.fc})`;
  }
  function where(e: ModbusTransactionEvent): string {
    return `to unit ${e.unit} of ${e.dst}`;
  }
  function used(ch: ChannelState | undefined): string {
    return ch === undefined ? "it never used this channel" : `it used only ${learnedFunctions(ch)}`;
  }

  function checkCode(e: ModbusTransactionEvent, key: string, ch: ChannelState | undefined, rt: Runtime | undefined, out: AnomalyDraft[]): void {
    const req = e.request;
    if (req === undefined) return;
    if (ch?.hasFc(e.fc) !== true) rt?.functions.add(e.ts, e.fc);
    if (e.fc === 8) {
      const sub = Number.isInteger(req.subFunction) ? (req.subFunction as number) : -1;
      if (ch?.hasFc(8) && ch.m.diagnostics.includes(sub)) return;
      const [kind, sev, attack, what]: [string, Severity, string[], string] =
        sub === 1 ? ["modbus.restart", "critical", ["T0816", "T0858"], "restart communications (FC8/1)"]
        : sub === 4 ? ["modbus.listen-only", "critical", ["T0858", "T0814"], "force listen-only mode (FC8/4)"]
        : ["modbus.diagnostics", "medium", ["T0858", "T0814"], `diagnostics sub-function ${sub} (FC8)`];
      if (gate.allow(`${kind}|${key}|${sub}`, e.ts))
        out.push(draft(e, kind, sev, attack, `${e.src} sent ${what} ${where(e)}; ${learned()} ${ch?.hasFc(8) ? `it used only FC8 sub-functions ${ch.m.diagnostics.join(", ")}` : "it never sent FC8 on this channel"}`, { subFunction: sub }, `${kind}|${e.src}|${e.dst}|${sub}`));
      return;
    }
    if (e.fc === 43 && req.mei === 14) {
      if (ch?.hasFc(43) && ch.m.meiTypes.includes(14)) return;
      if (gate.allow(`modbus.device-identification|${key}`, e.ts))
        out.push(draft(e, "modbus.device-identification", "medium", ["T0888"], `${e.src} read the device identification (FC43/14) ${where(e)}; ${learned()} it never asked for it on this channel`, { mei: 14, readDeviceId: req.readDeviceId ?? -1, objectId: req.objectId ?? -1 }));
      return;
    }
    if (PROGRAMMING_CODES.has(e.fc)) {
      if (ch?.hasFc(e.fc) || isSweeping(e, rt, out)) return;
      if (gate.allow(`modbus.programming|${key}|${e.fc}`, e.ts))
        out.push(draft(e, "modbus.programming", "critical", ["T0843", "T0858"], `${who(e)} ${where(e)}, a vendor/programming function; ${learned()} ${used(ch)}`, { data: req.data ?? "" }, `modbus.programming|${e.src}|${e.dst}|${e.fc}`));
      return;
    }
    if (ch === undefined || ch.hasFc(e.fc) || isSweeping(e, rt, out)) return;
    const writes = WRITING_CODES.has(e.fc);
    if (gate.allow(`modbus.new-function-code|${key}|${e.fc}`, e.ts))
      out.push(draft(e, "modbus.new-function-code", writes ? "high" : "medium", writes ? ["T0855", "T0836"] : ["T0855"], `${who(e)} ${where(e)}; ${learned()} ${used(ch)}`, { learned: Object.keys(ch.m.functionCodes).join(",") }, `modbus.new-function-code|${e.src}|${e.dst}|${e.fc}`));
  }

  function checkNewChannel(e: ModbusTransactionEvent, ctx: AnalyzerContext, out: AnomalyDraft[]): void {
    if (!gate.allow(`modbus.new-channel|${channelKey(e.src, e.dst, e.unit)}`, e.ts)) return;
    let knownClient = false;
    const clients = new Set<string>();
    for (const c of baseline.channels.values()) {
      if (c.m.client === e.src) knownClient = true;
      if (c.m.server === e.dst && c.m.unit === e.unit) clients.add(c.m.client);
    }
    const writes = WRITING_CODES.has(e.fc);
    // A client in an IT zone (Purdue level 4+) commanding a controller directly is the worst case of a new channel.
    const zone = ctx.zoneOf(e.src);
    const fromIt = zone.level >= 4;
    const sev: Severity = fromIt ? "critical" : !knownClient || writes ? "high" : "medium";
    const others = clients.size === 0 ? "no client used it" : `only ${[...clients].sort().slice(0, 5).join(", ")} used it`;
    out.push(draft(e, "modbus.new-channel", sev, writes ? ["T0855", "T0886"] : ["T0886", "T0846"],
      `${e.src}${fromIt ? ` (zone ${zone.name}, level ${zone.level})` : ""} sent ${fcLabel(e.fc)} (FC${e.fc}) to unit ${e.unit} of ${e.dst}, a channel never seen; ${learned()} ${others}${knownClient ? "" : ` and ${e.src} was never a Modbus client`}`,
      { knownClient, learnedClients: [...clients].sort().join(","), srcZone: zone.name }));
  }

  function checkRates(e: ModbusTransactionEvent, ch: ChannelState | undefined, rt: Runtime, out: AnomalyDraft[]): void {
    if (e.request !== undefined) {
      const peak = ch?.m.peakRequests ?? 0;
      const n = rt.requests.add(e.ts);
      const limit = Math.max(FLOOD_FACTOR * peak, peak + FLOOD_FLOOR);
      if (n > limit && gate.allow(`modbus.request-flood|${e.src}|${e.dst}|${e.unit}`, e.ts))
        out.push(draft(e, "modbus.request-flood", "high", ["T0814"], `${e.src} sent ${n} requests in ${RATE_WINDOW_S} s to unit ${e.unit} of ${e.dst}; ${learned()} the busiest ${RATE_WINDOW_S} s held ${peak}`, { requests: n, learnedPeak: peak, windowSeconds: RATE_WINDOW_S }));
    }
    if (e.status === "exception") {
      const peak = ch?.m.peakExceptions ?? 0;
      const n = rt.exceptions.add(e.ts);
      if (n >= Math.max(EXCEPTION_BURST_FACTOR * peak, peak + EXCEPTION_BURST_FLOOR) && gate.allow(`modbus.exception-burst|${e.src}|${e.dst}|${e.unit}`, e.ts))
        out.push(draft(e, "modbus.exception-burst", "medium", ["T0888", "T0846"], `unit ${e.unit} of ${e.dst} answered ${n} requests from ${e.src} with exceptions in ${EXCEPTION_WINDOW_S} s (last: code ${e.exception ?? "?"}); ${learned()} at most ${peak} per ${EXCEPTION_WINDOW_S} s`, { exceptions: n, learnedPeak: peak, exception: e.exception ?? -1 }));
    }
  }

  function checkSweeps(e: ModbusTransactionEvent, ch: ChannelState | undefined, rt: Runtime, out: AnomalyDraft[]): void {
    if (ch === undefined) {
      const pair = `${e.src}|${e.dst}`;
      let w = units.get(pair);
      if (w === undefined && units.size < MAX_RUNTIME_CHANNELS) units.set(pair, (w = new DistinctWindow(SWEEP_WINDOW_S, 256)));
      const n = w?.add(e.ts, e.unit) ?? 0;
      if (n >= UNIT_SWEEP_MIN && gate.allow(`modbus.unit-sweep|${pair}`, e.ts))
        out.push(draft(e, "modbus.unit-sweep", "medium", ["T0846", "T0888"], `${e.src} probed ${n} unit ids never used on ${e.dst} within ${SWEEP_WINDOW_S} s; ${learned()} it used ${learnedUnits(e.src, e.dst)}`, { units: n }));
    }
    const req = e.request;
    if (req === undefined) return;
    const lo = req.address ?? req.readAddress;
    if (lo === undefined || (ch !== undefined && isLearnedAddress(ch, e.fc, req))) return;
    const n = rt.addresses.add(e.ts, `${e.fc}:${lo}`);
    if (n >= ADDRESS_SWEEP_MIN && gate.allow(`modbus.address-sweep|${e.src}|${e.dst}|${e.unit}`, e.ts))
      out.push(draft(e, "modbus.address-sweep", "medium", ["T0846", "T0888"], `${e.src} probed ${n} addresses never used on unit ${e.unit} of ${e.dst} within ${SWEEP_WINDOW_S} s; ${learned()} it used ${ch === undefined ? "no address there" : describeChannel(ch)}`, { addresses: n }));
  }

  function learnedUnits(client: string, server: string): string {
    const u = [...baseline.channels.values()].filter((c) => c.m.client === client && c.m.server === server).map((c) => c.m.unit);
    return u.length === 0 ? "no unit" : `units ${u.sort((a, b) => a - b).join(", ")}`;
  }

  function checkPoll(e: ModbusTransactionEvent, req: NonNullable<ModbusTransactionEvent["request"]>, ch: ChannelState, out: AnomalyDraft[]): void {
    const t = ch.pollOf(e.fc, req);
    if (t === undefined) return;
    const answered = e.status === "ok" || e.status === "exception";
    const seen = Number.isFinite(t.last);
    const verdict = t.detect(e.ts, answered);
    if (t.armed && answered && ch.outage) {
      ch.outage = false;
      nextDue = -Infinity; // watched again: its deadline joins the next tick's minimum
    }
    if (!seen && Number.isFinite(t.last)) nextDue = -Infinity; // first sight since an import: now watched
    if (verdict !== "changed" || t.model === undefined) return;
    const pk = pollKeyOf(e.fc, req) ?? "";
    const now = t.recentPeriod();
    out.push(draft(e, "modbus.poll-period-change", "medium", ["T0829"], `${e.src} now polls ${fcLabel(e.fc)} ${pk.split(":").slice(1).join(" x")} on unit ${e.unit} of ${e.dst} every ${now.toFixed(2)} s; ${learned()} it polled every ${t.model.period.toFixed(2)} s`, { poll: pk, periodSeconds: Number(now.toFixed(6)), learnedPeriodSeconds: t.model.period }, `modbus.poll-period-change|${e.src}|${e.dst}|${pk}`));
  }

  /** The loss-of-view draft of a channel whose watched polls are all overdue at `ts`. */
  function lossOfView(ch: ChannelState, ts: number): AnomalyDraft {
    const polls: string[] = [];
    for (const [pk, t] of ch.polls) {
      if (!t.armed || t.model === undefined || !Number.isFinite(t.last)) continue;
      polls.push(`${fcLabel(Number(pk.split(":")[0]))} ${pk.split(":").slice(1).join(" x")} every ${t.model.period.toFixed(2)} s`);
    }
    const watched = [...ch.polls.values()].filter((t) => t.armed && Number.isFinite(t.last));
    const last = Math.max(...watched.map((t) => t.last));
    const asked = Math.max(...watched.map((t) => t.lastAsked));
    const unanswered = asked > last;
    const m = ch.m;
    const what = unanswered
      ? `unit ${m.unit} of ${m.server} stopped answering ${m.client}: its recurring requests time out, no answer for ${Math.round(ts - last)} s`
      : `${m.client} stopped polling unit ${m.unit} of ${m.server}: no recurring request for ${Math.round(ts - last)} s`;
    return {
      kind: "modbus.loss-of-view", severity: "high", src: m.client, dst: m.server, protocol: "modbus", attack: unanswered ? ["T0829", "T0814"] : ["T0829"],
      summary: `${what}; ${learned()} it polled ${polls.slice(0, 4).join("; ")}`,
      evidence: { client: m.client, server: m.server, unit: m.unit, silentSeconds: Math.round(ts - last), lastPoll: last, lastRequest: asked, reason: unanswered ? "no-answer" : "no-request", polls: polls.length },
      key: `modbus.loss-of-view|${m.client}|${m.server}|${m.unit}`, ts,
    };
  }

  return {
    name: "modbus",
    observe(event: EventBase, ctx: AnalyzerContext): AnomalyDraft[] | undefined {
      if (event.type !== "modbus") return undefined;
      const e = event as ModbusTransactionEvent;
      if (ctx.mode === "learning") {
        baseline.learn(e);
        forgetRefs(); // channels may be added, deadlines move: resolve afresh once detecting again
        nextDue = -Infinity;
        return undefined;
      }
      prepare(ctx);
      if (out.length !== 0) out.length = 0; // left over only if a check threw
      const ref = channelRef(e);
      const ch = ref.ch;
      const rt = ref.rt;
      if (ch === undefined && e.request !== undefined) checkNewChannel(e, ctx, out);
      checkCode(e, ref.key, ch, rt, out);
      if (ch !== undefined && e.request !== undefined) {
        checkWrites(e, e.request, ch, gate, learned, out);
        checkPoll(e, e.request, ch, out);
      }
      if (rt !== undefined) {
        checkRates(e, ch, rt, out);
        checkSweeps(e, ch, rt, out);
      }
      return out.length > 0 ? out.splice(0) : undefined;
    },

    tick(ctx: AnalyzerContext): AnomalyDraft[] | undefined {
      if (ctx.mode !== "detecting") return undefined;
      prepare(ctx);
      // Deadlines only move later while detecting (a poll's `last` never goes back), so until the lowest one computed
      // last time has passed no channel can be overdue; whatever could lower one resets nextDue.
      if (ctx.ts <= nextDue) return undefined;
      let out: AnomalyDraft[] | undefined;
      let due = Infinity;
      for (const ch of baseline.channels.values()) {
        if (ch.outage) continue;
        const deadline = channelDeadline(ch);
        if (deadline === -Infinity) continue; // no watched poll
        if (ctx.ts <= deadline) {
          if (deadline < due) due = deadline;
          continue;
        }
        ch.outage = true;
        (out ??= []).push(lossOfView(ch, ctx.ts));
      }
      nextDue = due;
      return out;
    },

    endLearning(ctx: AnalyzerContext): void {
      baseline.freeze(ctx.ts, ctx.learnedSeconds || ctx.learnSeconds);
      frozen = true;
      forgetRefs();
      nextDue = -Infinity;
    },

    exportModel(): unknown {
      return baseline.export();
    },

    importModel(model: unknown): void {
      baseline.import(model);
      // Imported poll trackers have not been seen in this capture yet: they are watched once seen again.
      frozen = true;
      runtime.clear();
      units.clear();
      forgetRefs();
      nextDue = -Infinity;
    },

    accept(anomaly: Anomaly): boolean {
      const accepted = acceptModbusAnomaly(baseline, anomaly);
      forgetRefs(); // a channel may have been added
      return accepted;
    },
  };
}

/** The first address a request reads (else writes) lies in what the channel read or wrote while learning. */
function isLearnedAddress(ch: ChannelState, fc: number, req: NonNullable<ModbusTransactionEvent["request"]>): boolean {
  let table = readTableOf(fc);
  let a = table === undefined ? undefined : readStartOf(fc, req);
  if (a === undefined) {
    table = writeTableOf(fc);
    a = table === undefined ? undefined : writeStartOf(fc, req);
  }
  if (table === undefined || a === undefined) return true;
  return rangesContain(ch.m.reads[table], a) || rangesContain(ch.m.writes[table], a);
}

/** Packet time after which all of a channel's watched polls (armed, seen) are overdue; -Infinity when none is watched. */
function channelDeadline(ch: ChannelState): number {
  let deadline = -Infinity;
  for (const t of ch.polls.values()) {
    if (!t.armed || t.model === undefined || !Number.isFinite(t.last)) continue;
    deadline = Math.max(deadline, t.deadline());
  }
  return deadline;
}
