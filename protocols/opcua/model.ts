// What otwatch learns about OPC UA, per channel (client ip → server ip:port): services called, node ids read / written /
// called (method ids), the numeric range written to each node, security policy and mode of every secure channel and of
// the channels that carried sessions, identity token types, client certificate thumbprints, application URIs, and the
// cadence of sessions, secure channels and browsing (count and peak per window). Versioned, key-sorted JSON; validated on
// import. Services: OPC UA Part 4 §5 (§5.4 discovery, §5.6 session, §5.8 view, §5.10 attribute, §5.11 method).

import { z } from "zod";
import type { OpcuaChannelEvent, OpcuaEvent, OpcuaServiceEvent, OpcuaValue } from "./events.ts";
import { addToRange, sortKeys, WindowCounter, type ValueRange } from "../../src/detect/learned-stats.ts";

export const OPCUA_MODEL_VERSION = 1;
export const OPCUA_MAX_CHANNELS = 2048;
/** Node ids kept per list and channel (read / written / called); further ones are counted in `dropped`. */
export const OPCUA_MAX_NODES = 4096;
/** Small sets (tokens, certificates, URIs, security pairs) kept per channel. */
export const OPCUA_MAX_SMALL_SET = 64;
/** Windows (packet time) of the learned peaks: sessions and secure channels opened, browse operations. */
export const SESSION_WINDOW_S = 600;
export const BROWSE_WINDOW_S = 60;

/** Discovery services a client may call on a None channel before opening its real (secured) one. */
export const DISCOVERY_SERVICES = new Set(["GetEndpoints", "FindServers", "FindServersOnNetwork", "RegisterServer", "RegisterServer2"]);
export const BROWSE_SERVICES = new Set(["Browse", "BrowseNext", "TranslateBrowsePathsToNodeIds"]);
const READ_SERVICES = new Set(["Read", "HistoryRead", "CreateMonitoredItems", "RegisterNodes"]);
const NUMERIC_TYPES = new Set(["SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Int64", "UInt64", "Float", "Double"]);

export interface OpcuaChannelModel {
  client: string;
  server: string;
  port: number;
  firstSeen: number;
  lastSeen: number;
  services: Record<string, number>;
  read: string[];
  written: string[];
  called: string[];
  /** Numeric range written per node id. */
  values: Record<string, ValueRange>;
  /** "<policy>/<mode>" of every secure channel opened, and of those that carried sessions or other non-discovery calls. */
  security: string[];
  sessionSecurity: string[];
  identityTokens: string[];
  certificates: string[];
  applicationUris: string[];
  sessions: number;
  channelsOpened: number;
  peakSessions: number;
  peakChannels: number;
  peakBrowseOps: number;
  /** Session cadence over the learning window (derived on export, for readers; detection uses the window peaks). */
  sessionsPerHour?: number;
}

export interface OpcuaModel {
  version: number;
  protocol: "opcua";
  learnedSeconds: number;
  sessionWindowSeconds: number;
  browseWindowSeconds: number;
  channels: Record<string, OpcuaChannelModel>;
  dropped: { channels: number; nodes: number };
}

const rangeSchema = z.object({ min: z.number(), max: z.number(), n: z.number().int().nonnegative() });
const strings = z.array(z.string());
const count = z.number().int().nonnegative();
const channelSchema = z.object({
  client: z.string(), server: z.string(), port: z.number().int().min(0).max(65535), firstSeen: z.number(), lastSeen: z.number(),
  services: z.record(z.string(), count), read: strings, written: strings, called: strings, values: z.record(z.string(), rangeSchema),
  security: strings, sessionSecurity: strings, identityTokens: strings, certificates: strings, applicationUris: strings,
  sessions: count, channelsOpened: count, peakSessions: count, peakChannels: count, peakBrowseOps: count,
  sessionsPerHour: z.number().nonnegative().optional(),
});
export const opcuaModelSchema = z.object({
  version: z.literal(OPCUA_MODEL_VERSION),
  protocol: z.literal("opcua"),
  learnedSeconds: z.number().nonnegative(),
  sessionWindowSeconds: z.number().positive(),
  browseWindowSeconds: z.number().positive(),
  channels: z.record(z.string(), channelSchema),
  dropped: z.object({ channels: z.number(), nodes: z.number() }),
});

export function opcuaChannelKey(client: string, server: string, port: number): string {
  return `${client}|${server}:${port}`;
}

/** "http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256" → "Basic256Sha256". */
export function policyName(uri: string): string {
  const i = uri.lastIndexOf("#");
  return i >= 0 ? uri.slice(i + 1) : uri === "" ? "unknown" : uri;
}

export function securityPair(policy: string, mode: string): string {
  return `${policyName(policy)}/${mode}`;
}

/** A numeric Variant's value, or undefined (booleans, strings, arrays, non-finite). */
export function numericValue(v: OpcuaValue): number | undefined {
  if (!NUMERIC_TYPES.has(v.type)) return undefined;
  const n = Number(v.value);
  return Number.isFinite(n) ? n : undefined;
}

/** Method ids a Call request invokes. */
export function methodsOf(e: OpcuaServiceEvent): string[] {
  return e.request?.calls?.map((c) => c.method) ?? [];
}

/** Operations a browse-type request carries (BrowseNext counts one per request: it continues earlier ones). */
export function browseOps(e: OpcuaServiceEvent): number {
  return e.service === "BrowseNext" ? 1 : Math.max(1, e.request?.nodes?.length ?? 1);
}

/** The list-valued facts of a channel; each is backed by a Set for O(1) membership, the arrays are sorted on export. */
export type ListField = "read" | "written" | "called" | "security" | "sessionSecurity" | "identityTokens" | "certificates" | "applicationUris";
const LIST_FIELDS: readonly ListField[] = ["read", "written", "called", "security", "sessionSecurity", "identityTokens", "certificates", "applicationUris"];

export class OpcuaChannelState {
  readonly sessionWindow = new WindowCounter(SESSION_WINDOW_S);
  readonly channelWindow = new WindowCounter(SESSION_WINDOW_S);
  readonly browseWindow = new WindowCounter(BROWSE_WINDOW_S);
  private readonly sets = new Map<ListField, Set<string>>();

  constructor(readonly m: OpcuaChannelModel) {
    for (const f of LIST_FIELDS) this.sets.set(f, new Set(m[f]));
  }

  has(field: ListField, v: string): boolean {
    return this.sets.get(field)?.has(v) === true;
  }

  /** Adds a fact; false when the list is full (the caller counts the drop). */
  add(field: ListField, v: string, limit: number): boolean {
    const set = this.sets.get(field);
    if (set === undefined) return false;
    if (set.has(v)) return true;
    if (set.size >= limit) return false;
    set.add(v);
    this.m[field].push(v);
    return true;
  }

  static create(client: string, server: string, port: number, ts: number): OpcuaChannelState {
    return new OpcuaChannelState({
      client, server, port, firstSeen: ts, lastSeen: ts, services: {}, read: [], written: [], called: [], values: {},
      security: [], sessionSecurity: [], identityTokens: [], certificates: [], applicationUris: [],
      sessions: 0, channelsOpened: 0, peakSessions: 0, peakChannels: 0, peakBrowseOps: 0,
    });
  }
}

export class OpcuaBaseline {
  readonly channels = new Map<string, OpcuaChannelState>();
  learnedSeconds = 0;
  readonly dropped = { channels: 0, nodes: 0 };

  get(client: string, server: string, port: number): OpcuaChannelState | undefined {
    return this.channels.get(opcuaChannelKey(client, server, port));
  }

  /** Adds a fact to a channel's bounded list; a full list counts a drop. */
  add(ch: OpcuaChannelState, field: ListField, v: string, limit = OPCUA_MAX_NODES): boolean {
    if (ch.add(field, v, limit)) return true;
    this.dropped.nodes++;
    return false;
  }

  learn(e: OpcuaEvent): void {
    const key = opcuaChannelKey(e.src, e.dst, e.dport);
    let ch = this.channels.get(key);
    if (ch === undefined) {
      if (this.channels.size >= OPCUA_MAX_CHANNELS) {
        this.dropped.channels++;
        return;
      }
      ch = OpcuaChannelState.create(e.src, e.dst, e.dport, e.ts);
      this.channels.set(key, ch);
    }
    const m = ch.m;
    m.lastSeen = Math.max(m.lastSeen, e.ts);
    if (e.type === "opcua.channel") this.learnChannel(ch, e);
    else if (e.type === "opcua.secure-msg") {
      if (e.securityMode === "Sign" || e.securityMode === "SignAndEncrypt") this.add(ch, "sessionSecurity", securityPair(e.securityPolicy, e.securityMode), OPCUA_MAX_SMALL_SET);
    } else if (e.type === "opcua.service") this.learnService(ch, e);
  }

  private learnChannel(ch: OpcuaChannelState, e: OpcuaChannelEvent): void {
    const m = ch.m;
    if (e.action === "close") return;
    this.add(ch, "security", securityPair(e.securityPolicy, e.securityMode), OPCUA_MAX_SMALL_SET);
    if (e.clientCertThumbprint) this.add(ch, "certificates", e.clientCertThumbprint.toLowerCase(), OPCUA_MAX_SMALL_SET);
    if (e.action === "open") {
      m.channelsOpened++;
      ch.channelWindow.add(e.ts);
      m.peakChannels = Math.max(m.peakChannels, ch.channelWindow.peak);
    }
  }

  private learnService(ch: OpcuaChannelState, e: OpcuaServiceEvent): void {
    const m = ch.m;
    if (e.status === "unsolicited") return;
    m.services[e.service] = (m.services[e.service] ?? 0) + 1;
    if (!DISCOVERY_SERVICES.has(e.service)) this.add(ch, "sessionSecurity", securityPair(e.securityPolicy, e.securityMode), OPCUA_MAX_SMALL_SET);
    const req = e.request;
    if (e.service === "CreateSession") {
      m.sessions++;
      ch.sessionWindow.add(e.ts);
      m.peakSessions = Math.max(m.peakSessions, ch.sessionWindow.peak);
      if (req?.clientUri) this.add(ch, "applicationUris", req.clientUri, OPCUA_MAX_SMALL_SET);
      if (req?.clientCertThumbprint) this.add(ch, "certificates", req.clientCertThumbprint.toLowerCase(), OPCUA_MAX_SMALL_SET);
    }
    if (e.service === "ActivateSession" && req?.identityToken) this.add(ch, "identityTokens", req.identityToken, OPCUA_MAX_SMALL_SET);
    if (READ_SERVICES.has(e.service)) for (const n of req?.nodes ?? []) this.add(ch, "read", n);
    if (e.service === "Write") {
      for (const w of req?.writes ?? []) {
        if (!this.add(ch, "written", w.node)) continue;
        const v = numericValue(w.value);
        if (v !== undefined) m.values[w.node] = addToRange(m.values[w.node], v);
      }
    }
    if (e.service === "Call") for (const meth of methodsOf(e)) this.add(ch, "called", meth);
    if (BROWSE_SERVICES.has(e.service)) {
      ch.browseWindow.add(e.ts, browseOps(e));
      m.peakBrowseOps = Math.max(m.peakBrowseOps, ch.browseWindow.peak);
    }
  }

  export(): OpcuaModel {
    const channels: Record<string, OpcuaChannelModel> = {};
    for (const [k, ch] of this.channels) {
      const c = structuredClone(ch.m);
      for (const f of LIST_FIELDS) c[f].sort();
      const span = Math.max(60, this.learnedSeconds || c.lastSeen - c.firstSeen);
      c.sessionsPerHour = Math.round((c.sessions / span) * 3600 * 100) / 100;
      channels[k] = c;
    }
    return sortKeys({
      version: OPCUA_MODEL_VERSION,
      protocol: "opcua",
      learnedSeconds: this.learnedSeconds,
      sessionWindowSeconds: SESSION_WINDOW_S,
      browseWindowSeconds: BROWSE_WINDOW_S,
      channels,
      dropped: { ...this.dropped },
    });
  }

  import(raw: unknown): void {
    const parsed = opcuaModelSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`opcua model: ${issue ? `${issue.path.join(".")}: ${issue.message}` : "invalid"}`);
    }
    const model = parsed.data as OpcuaModel;
    this.channels.clear();
    for (const [k, c] of Object.entries(model.channels)) this.channels.set(k, new OpcuaChannelState(structuredClone(c)));
    this.learnedSeconds = model.learnedSeconds;
    Object.assign(this.dropped, model.dropped);
  }
}
