// What otwatch learns about Modbus/TCP, per channel (client, server, unit id): function codes, FC8 sub-functions and FC43
// MEI types used, address ranges read and written per table (merged into compact ranges), the value range of every written
// register, request and exception rates (peak per window), and the timing model of each recurring poll. Exported as
// versioned, key-sorted JSON (diffable) and validated on import. Table/function mapping: Modbus Application Protocol V1.1b3
// §6 (FC1 coils, FC2 discrete inputs, FC3/6/16/22/23 holding registers, FC4 input registers, FC5/15 coils).

import { z } from "zod";
import type { ModbusTransactionEvent } from "./events.ts";
import { addRange, pollKeyOf, pollNumKeyOf, readOf, writeSpanOf, writesOf, type ModbusTable, type Ranges } from "./addresses.ts";
import type { ModbusPdu } from "./events.ts";
import { PollTracker, type PollModel } from "./polling.ts";
import { addToRange, sortKeys, WindowCounter, type ValueRange } from "../../src/detect/learned-stats.ts";

export const MODBUS_MODEL_VERSION = 1;
/** Bounds: channels learned, poll keys and written addresses with a value range per channel. */
export const MODBUS_MAX_CHANNELS = 4096;
export const MODBUS_MAX_POLL_KEYS = 512;
export const MODBUS_MAX_VALUE_ADDRESSES = 8192;
/** Windows (packet time) of the learned peaks that rate detectors compare against. */
export const RATE_WINDOW_S = 10;
export const EXCEPTION_WINDOW_S = 60;

export interface ModbusChannelModel {
  client: string;
  server: string;
  unit: number;
  firstSeen: number;
  lastSeen: number;
  requests: number;
  exceptions: number;
  peakRequests: number;
  /** Mean request rate over the channel's learned span (derived on export, for readers; not used by detection). */
  requestsPerSecond?: number;
  peakExceptions: number;
  functionCodes: Record<string, number>;
  diagnostics: number[];
  meiTypes: number[];
  reads: Partial<Record<ModbusTable, Ranges>>;
  writes: Partial<Record<ModbusTable, Ranges>>;
  /** Value range per written address, key "<table>:<address>". */
  values: Record<string, ValueRange>;
  /** Timing per recurring request, key "<fc>:<address>:<quantity>". */
  polls: Record<string, PollModel>;
}

export interface ModbusModel {
  version: number;
  protocol: "modbus";
  learnedSeconds: number;
  rateWindowSeconds: number;
  exceptionWindowSeconds: number;
  channels: Record<string, ModbusChannelModel>;
  dropped: { channels: number; pollKeys: number; values: number };
}

const rangeSchema = z.object({ min: z.number(), max: z.number(), n: z.number().int().nonnegative() });
const rangesSchema = z.array(z.tuple([z.number().int(), z.number().int()]));
const tablesSchema = z.partialRecord(z.enum(["coils", "discrete-inputs", "input-registers", "holding-registers"]), rangesSchema);
const pollSchema = z.object({
  period: z.number(),
  dispersion: z.number(),
  p99: z.number(),
  samples: z.number().int().nonnegative(),
  armed: z.boolean(),
});
const channelSchema = z.object({
  client: z.string(),
  server: z.string(),
  unit: z.number().int().nonnegative(),
  firstSeen: z.number(),
  lastSeen: z.number(),
  requests: z.number().int().nonnegative(),
  exceptions: z.number().int().nonnegative(),
  peakRequests: z.number().int().nonnegative(),
  requestsPerSecond: z.number().nonnegative().optional(),
  peakExceptions: z.number().int().nonnegative(),
  functionCodes: z.record(z.string(), z.number().int().nonnegative()),
  diagnostics: z.array(z.number().int()),
  meiTypes: z.array(z.number().int()),
  reads: tablesSchema,
  writes: tablesSchema,
  values: z.record(z.string(), rangeSchema),
  polls: z.record(z.string(), pollSchema),
});
export const modbusModelSchema = z.object({
  version: z.literal(MODBUS_MODEL_VERSION),
  protocol: z.literal("modbus"),
  learnedSeconds: z.number().nonnegative(),
  rateWindowSeconds: z.number().positive(),
  exceptionWindowSeconds: z.number().positive(),
  channels: z.record(z.string(), channelSchema),
  dropped: z.object({ channels: z.number(), pollKeys: z.number(), values: z.number() }),
});

export function channelKey(client: string, server: string, unit: number): string {
  return `${client}|${server}|${unit}`;
}

// ---- the learner -------------------------------------------------------------------------------------------------

/** One channel: the exported model plus the runtime state behind it (windows, poll trackers). */
export class ChannelState {
  readonly polls = new Map<string, PollTracker>();
  readonly requestWindow = new WindowCounter(RATE_WINDOW_S);
  readonly exceptionWindow = new WindowCounter(EXCEPTION_WINDOW_S);
  /** Detection: the channel's armed polls are all overdue (one loss-of-view per outage). */
  outage = false;

  /** Addresses with a value range (bounded by MODBUS_MAX_VALUE_ADDRESSES). */
  valueCount: number;
  /** Detection: pollNumKeyOf → tracker (null: no tracker for that request), so a transaction builds no key string.
   * Emptied whenever `polls` gains a key. */
  private readonly pollIndex = new Map<number, PollTracker | null>();

  constructor(readonly m: ModbusChannelModel) {
    this.valueCount = Object.keys(m.values).length;
    for (const [k, p] of Object.entries(m.polls)) this.polls.set(k, PollTracker.fromModel(p));
  }

  static create(client: string, server: string, unit: number, ts: number): ChannelState {
    return new ChannelState({
      client, server, unit, firstSeen: ts, lastSeen: ts, requests: 0, exceptions: 0, peakRequests: 0, peakExceptions: 0,
      functionCodes: {}, diagnostics: [], meiTypes: [], reads: {}, writes: {}, values: {}, polls: {},
    });
  }

  hasFc(fc: number): boolean {
    return this.m.functionCodes[fc] !== undefined;
  }

  /** The poll tracker of a read request (same as polls.get(pollKeyOf(fc, req)), without building the key). */
  pollOf(fc: number, req: ModbusPdu): PollTracker | undefined {
    const nk = pollNumKeyOf(fc, req);
    if (nk < 0) return undefined;
    let t = this.pollIndex.get(nk);
    if (t === undefined) {
      const pk = pollKeyOf(fc, req);
      t = (pk === undefined ? undefined : this.polls.get(pk)) ?? null;
      if (this.pollIndex.size < 4 * MODBUS_MAX_POLL_KEYS) this.pollIndex.set(nk, t);
    }
    return t ?? undefined;
  }

  /** A tracker was added under `pk` (learning). */
  addPoll(pk: string, t: PollTracker): void {
    this.polls.set(pk, t);
    this.pollIndex.clear();
  }
}

/** Learning: the channels one flow's transactions went to (client and server kept to check that an event matches). */
interface FlowChannels {
  readonly src: string;
  readonly dst: string;
  readonly byUnit: Map<number, ChannelState>;
}

/** Channels remembered per flow while learning before the memory is dropped (it is only a lookup cache). */
const MAX_REMEMBERED = 8192;

export class ModbusBaseline {
  readonly channels = new Map<string, ChannelState>();
  learnedSeconds = 0;
  readonly dropped = { channels: 0, pollKeys: 0, values: 0 };
  /** flow id → channels already in `channels`, so a learned transaction builds no key string. Channels leave `channels`
   * only through import(), which empties this too. */
  private byFlow = new Map<string, FlowChannels>();
  private remembered = 0;

  /** The channel of a transaction, if it exists (through the flow cache; remembered for the next transaction). */
  private channelOf(e: ModbusTransactionEvent): ChannelState | undefined {
    let flow = this.byFlow.get(e.flow);
    const known = flow !== undefined && flow.src === e.src && flow.dst === e.dst ? flow.byUnit.get(e.unit) : undefined;
    if (known !== undefined) return known;
    const ch = this.channels.get(channelKey(e.src, e.dst, e.unit));
    if (ch === undefined) return undefined;
    if (this.remembered >= MAX_REMEMBERED) {
      this.byFlow = new Map();
      this.remembered = 0;
      flow = undefined;
    }
    if (flow === undefined || flow.src !== e.src || flow.dst !== e.dst) this.byFlow.set(e.flow, (flow = { src: e.src, dst: e.dst, byUnit: new Map() }));
    flow.byUnit.set(e.unit, ch);
    this.remembered++;
    return ch;
  }

  get(client: string, server: string, unit: number): ChannelState | undefined {
    return this.channels.get(channelKey(client, server, unit));
  }

  /** Folds one transaction into the baseline (learning mode). */
  learn(e: ModbusTransactionEvent): void {
    let ch = this.channelOf(e);
    if (ch === undefined) {
      if (this.channels.size >= MODBUS_MAX_CHANNELS) {
        this.dropped.channels++;
        return;
      }
      ch = ChannelState.create(e.src, e.dst, e.unit, e.ts);
      this.channels.set(channelKey(e.src, e.dst, e.unit), ch);
    }
    const m = ch.m;
    m.lastSeen = Math.max(m.lastSeen, e.ts);
    if (e.status === "exception") {
      m.exceptions++;
      ch.exceptionWindow.add(e.ts);
      m.peakExceptions = Math.max(m.peakExceptions, ch.exceptionWindow.peak);
    }
    const req = e.request;
    if (req === undefined) return;
    m.requests++;
    ch.requestWindow.add(e.ts);
    m.peakRequests = Math.max(m.peakRequests, ch.requestWindow.peak);
    m.functionCodes[e.fc] = (m.functionCodes[e.fc] ?? 0) + 1;
    if (e.fc === 8 && Number.isInteger(req.subFunction)) addSorted(m.diagnostics, req.subFunction as number);
    if (e.fc === 43 && Number.isInteger(req.mei)) addSorted(m.meiTypes, req.mei as number);
    const read = readOf(e.fc, req);
    if (read !== undefined) addRange((m.reads[read.table] ??= []), read.lo, read.hi);
    const span = writeSpanOf(e.fc, req);
    if (span !== undefined) addRange((m.writes[span.table] ??= []), span.lo, span.hi);
    if (span !== undefined && span.table !== "coils") for (const w of writesOf(e.fc, req)) {
      if (w.value === undefined) continue;
      const vk = `${w.table}:${w.address}`;
      if (m.values[vk] === undefined) {
        if (ch.valueCount >= MODBUS_MAX_VALUE_ADDRESSES) {
          this.dropped.values++;
          continue;
        }
        ch.valueCount++;
      }
      m.values[vk] = addToRange(m.values[vk], w.value);
    }
    if (pollNumKeyOf(e.fc, req) >= 0) {
      // Found by its numeric key: the key text is built only for a new tracker.
      let t = ch.pollOf(e.fc, req);
      if (t === undefined) {
        if (ch.polls.size >= MODBUS_MAX_POLL_KEYS) {
          this.dropped.pollKeys++;
          return;
        }
        t = new PollTracker();
        ch.addPoll(pollKeyOf(e.fc, req) as string, t);
      }
      t.learn(e.ts);
    }
  }

  /** End of learning: freeze poll periods (only polls still running at `now` are watched). */
  freeze(now: number, learnedSeconds: number): void {
    this.learnedSeconds = learnedSeconds;
    for (const ch of this.channels.values()) for (const t of ch.polls.values()) t.freeze(now);
  }

  export(): ModbusModel {
    const channels: Record<string, ModbusChannelModel> = {};
    for (const [k, ch] of this.channels) {
      const polls: Record<string, PollModel> = {};
      for (const [pk, t] of ch.polls) {
        if (t.model === undefined) t.freeze(ch.m.lastSeen);
        if (t.model !== undefined) polls[pk] = { ...t.model };
      }
      const span = Math.max(1, ch.m.lastSeen - ch.m.firstSeen);
      channels[k] = { ...ch.m, polls, requestsPerSecond: Math.round((ch.m.requests / span) * 1000) / 1000 };
    }
    return sortKeys({
      version: MODBUS_MODEL_VERSION,
      protocol: "modbus",
      learnedSeconds: this.learnedSeconds,
      rateWindowSeconds: RATE_WINDOW_S,
      exceptionWindowSeconds: EXCEPTION_WINDOW_S,
      channels,
      dropped: { ...this.dropped },
    });
  }

  /** Replaces the baseline with a validated model; throws an Error naming the bad field. */
  import(raw: unknown): void {
    const parsed = modbusModelSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`modbus model: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`);
    }
    const model = parsed.data as ModbusModel;
    this.channels.clear();
    this.byFlow = new Map();
    this.remembered = 0;
    for (const [k, c] of Object.entries(model.channels)) this.channels.set(k, new ChannelState(structuredClone(c)));
    this.learnedSeconds = model.learnedSeconds;
    Object.assign(this.dropped, model.dropped);
  }
}

function addSorted(list: number[], v: number): void {
  if (list.includes(v)) return;
  list.push(v);
  list.sort((a, b) => a - b);
}
