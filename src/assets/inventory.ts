// Passive asset inventory (issue 3 §2): per IP its MACs and the IEEE vendor of each, zone and Purdue level, roles
// (Modbus client/server with unit ids, OPC UA client/server with application URI, product and name from
// CreateSession/FindServers, any other protocol's client/server), Modbus device identification (FC43/14 objects),
// services it answers, first/last seen in packet time. A host enters the inventory only once it has sent something
// (a flow, an ARP, an answered transaction): a scanned address that never answered is not an asset.

import type { ArpEvent, EventBase, FlowEndEvent, FlowStartEvent } from "../core/types.ts";
import { sortKeys } from "../detect/baseline-store.ts";
import { isoTime } from "../detect/engine.ts";
import { isGroupAddress, parseIpv4 } from "../detect/ip.ts";
import { flowFacts } from "../detect/network-model.ts";
import type { ZoneInfo } from "../detect/types.ts";
import { fallbackZone } from "../detect/zones.ts";
import type { SavedAsset } from "./inventory-file.ts";
import { vendorOf } from "./oui.ts";

/** Bounds: assets, MACs/services/endpoints per asset, pending destination MACs, length of any text kept. */
export const MAX_ASSETS = 65_536;
export const MAX_PER_ASSET = 32;
export const MAX_PENDING_MACS = 65_536;
export const MAX_TEXT = 256;

/** Modbus FC43/14 object ids (Modbus Application Protocol v1.1b3 §6.21, table "Device identification objects"). */
const DEVICE_ID_OBJECTS: Record<number, string> = {
  0: "VendorName", 1: "ProductCode", 2: "MajorMinorRevision", 3: "VendorUrl", 4: "ProductName", 5: "ModelName",
  6: "UserApplicationName",
};
const ANSWERED = new Set(["ok", "exception", "fault", "bad"]);
const NULL_MACS = new Set(["00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff"]);
/** Event types whose role texts are memoised (a protocol's few event types; beyond this they are built per event). */
export const MAX_ROLE_TYPES = 1024;

/** "modbus" → "modbus-client"/"modbus-server", built once per event type instead of twice per event. */
const roleTexts = new Map<string, { client: string; server: string }>();
function rolesOf(type: string): { client: string; server: string } {
  let r = roleTexts.get(type);
  if (r) return r;
  const dot = type.indexOf(".");
  const proto = dot < 0 ? type : type.slice(0, dot);
  r = { client: `${proto}-client`, server: `${proto}-server` };
  if (roleTexts.size < MAX_ROLE_TYPES) roleTexts.set(type, r);
  return r;
}

/** Collections are created on first use: most assets of a scan or a spoofed flood only ever have an address. */
interface AssetState {
  ip: string;
  firstTs: number;
  lastTs: number;
  macs?: Set<string>;
  roles?: Set<string>;
  services?: Set<string>;
  modbusClientUnits?: Set<number>;
  modbusServerUnits?: Set<number>;
  deviceId?: Map<string, string>;
  opcua?: { applicationUri?: string; productUri?: string; applicationName?: string; endpointUrls?: Set<string> };
  /** Smallest role (the snapshot's roles[0]); vendor of the smallest MAC with a vendor and that MAC (record().vendor). */
  firstRole?: string;
  vendor?: string;
  vendorMac?: string;
}

/** What the metrics need of an asset each window (src/metrics AssetSummary), without building its record. */
export interface AssetSummaryRow {
  readonly ip: string;
  readonly zone: string;
  readonly role: string;
  readonly vendor: string;
  /** Packet time of first sighting, to the millisecond (as first_seen reads). */
  readonly firstSeen: number;
}

/** The zone source; `version` changes whenever an address may have changed zone (none: zones never change). */
export interface ZoneSource {
  zoneOf(ip: string): ZoneInfo;
  readonly version?: number;
}

/** One asset in the snapshot (JSON, keys sorted on export). */
export interface AssetRecord {
  ip: string;
  macs: { mac: string; vendor: string | null }[];
  /** Vendor of the first MAC with a registered vendor, or null. */
  vendor: string | null;
  zone: string;
  level: number | null;
  first_seen: string;
  last_seen: string;
  roles: string[];
  services: string[];
  modbus?: { client_units: number[]; server_units: number[]; device_id: Record<string, string> };
  opcua?: { application_uri: string | null; product_uri: string | null; application_name: string | null; endpoint_urls: string[] };
}

const clip = (s: string): string => (s.length > MAX_TEXT ? s.slice(0, MAX_TEXT) : s);

function addBounded<T>(set: Set<T>, v: T): void {
  if (set.size < MAX_PER_ASSET) set.add(v);
}

export class AssetInventory {
  private readonly assets = new Map<string, AssetState>();
  /** Destination MACs seen on flow.start for hosts not yet proven to exist. */
  private readonly pendingMac = new Map<string, string>();
  /** Assets not recorded because MAX_ASSETS was reached. */
  dropped = 0;
  /** Bumped when an asset is added or its summary (first role, vendor, first seen) changes; see summaries(). */
  private summaryVersion = 0;
  private summaryCache: { version: number; zones: number | undefined; rows: AssetSummaryRow[] } | undefined;
  /** Assets sorted by address, rebuilt only when assets were added. */
  private sorted: AssetState[] = [];
  /** Assets changed since the last changedRecords() (undefined until it is first called: nobody asked, nothing tracked). */
  private changed: Set<AssetState> | undefined;
  private changedZones: number | undefined;

  constructor(private readonly zones: ZoneSource = { zoneOf: fallbackZone }) {}

  get size(): number {
    return this.assets.size;
  }

  observe(event: EventBase): void {
    switch (event.type) {
      case "flow.start": {
        const e = event as FlowStartEvent;
        this.touch(e.src, e.ts, e.srcMac);
        if (e.dstMac && !this.assets.has(e.dst) && this.pendingMac.size < MAX_PENDING_MACS) this.pendingMac.set(e.dst, e.dstMac);
        else if (e.dstMac) this.addMac(this.assets.get(e.dst), e.dstMac);
        return;
      }
      case "flow.end": {
        const e = event as FlowEndEvent;
        const answered = e.transport === "tcp" ? e.established || (e.midstream && e.pktsToClient > 0) : e.pktsToClient > 0;
        this.touch(e.src, e.ts, undefined);
        if (!answered) return;
        const f = flowFacts(e, false);
        const server = f ? this.touch(f.server, e.ts, undefined) : undefined;
        if (f && server && !server.services?.has(f.service)) this.addTo(server, (server.services ??= new Set()), f.service);
        return;
      }
      case "arp": {
        const e = event as ArpEvent;
        if (e.senderIp && e.senderIp !== "0.0.0.0") this.touch(e.senderIp, e.ts, e.senderMac);
        return;
      }
      default:
        this.observeProtocol(event);
    }
  }

  /** Protocol transactions: client and server roles, Modbus units and device id, OPC UA application descriptions. */
  private observeProtocol(event: EventBase): void {
    const roles = rolesOf(event.type);
    const status = (event as { status?: unknown }).status;
    const client = this.touch(event.src, event.ts, undefined);
    if (client) this.addRole(client, roles.client);
    const answered = typeof status === "string" ? ANSWERED.has(status) : event.type === "opcua.hello";
    const server = answered ? this.touch(event.dst, event.ts, undefined) : undefined;
    if (server) this.addRole(server, roles.server);

    if (event.type === "modbus") {
      const e = event as EventBase & { unit?: number; fc?: number; response?: { mei?: number; objects?: readonly { id: number; value: string }[] } };
      if (typeof e.unit === "number") {
        if (client && !client.modbusClientUnits?.has(e.unit)) this.addTo(client, (client.modbusClientUnits ??= new Set()), e.unit);
        if (server && !server.modbusServerUnits?.has(e.unit)) this.addTo(server, (server.modbusServerUnits ??= new Set()), e.unit);
      }
      if (server && e.fc === 43 && e.response?.objects) {
        this.changed?.add(server);
        const deviceId = (server.deviceId ??= new Map());
        for (const o of e.response.objects) {
          if (deviceId.size >= MAX_PER_ASSET && !deviceId.has(String(o.id))) break;
          deviceId.set(DEVICE_ID_OBJECTS[o.id] ?? `object_${o.id}`, clip(o.value));
        }
      }
    } else if (event.type === "opcua.service") {
      const e = event as EventBase & { service?: string; request?: OpcuaDesc; response?: OpcuaDesc };
      // Rare events (session set-up, discovery): both ends may change, the MQTT comparison sorts out what did.
      if (client) this.changed?.add(client);
      if (server) this.changed?.add(server);
      if (e.service === "CreateSession" && client && e.request) {
        // CreateSession request: ClientDescription (Part 4 §5.6.2) = the client's application; serverUri = the server's.
        setDesc(client, e.request.clientUri, e.request.productUri, e.request.applicationName);
        if (server && e.request.serverUri) (server.opcua ??= {}).applicationUri ??= clip(e.request.serverUri);
      }
      if (e.service === "FindServers" && server && e.response) {
        setDesc(server, e.response.serverUri, e.response.productUri, e.response.applicationName);
      }
      const url = e.request?.endpointUrl;
      if (server && url) addBounded(((server.opcua ??= {}).endpointUrls ??= new Set()), clip(url));
    } else if (event.type === "opcua.hello" && server) {
      this.changed?.add(server);
      const url = (event as { endpointUrl?: string }).endpointUrl;
      if (url) addBounded(((server.opcua ??= {}).endpointUrls ??= new Set()), clip(url));
    }
  }

  /** An asset sent something at `ts`. Known assets are looked up first: only a new address is checked for a group one. */
  private touch(ip: string, ts: number, mac: string | undefined): AssetState | undefined {
    let a = this.assets.get(ip);
    if (!a) {
      if (!ip || isGroupAddress(ip)) return undefined;
      if (this.assets.size >= MAX_ASSETS) {
        this.dropped++;
        return undefined;
      }
      a = {
        ip, firstTs: ts, lastTs: ts,
      };
      this.assets.set(ip, a);
      this.sorted = [];
      this.summaryVersion++;
      this.changed?.add(a);
      const pending = this.pendingMac.get(ip);
      if (pending) {
        this.pendingMac.delete(ip);
        this.addMac(a, pending);
      }
    }
    if (ts < a.firstTs) {
      a.firstTs = ts;
      this.summaryVersion++;
      this.changed?.add(a);
    }
    if (ts > a.lastTs) a.lastTs = ts;
    if (mac) this.addMac(a, mac);
    return a;
  }

  private addMac(a: AssetState | undefined, mac: string): void {
    const m = mac.toLowerCase();
    if (!a || NULL_MACS.has(m) || a.macs?.has(m)) return;
    const macs = (a.macs ??= new Set());
    if (macs.size >= MAX_PER_ASSET) return;
    macs.add(m);
    this.changed?.add(a);
    // The summary's vendor is the snapshot's: that of the smallest MAC with a registered vendor.
    const v = vendorOf(m);
    if (v && (a.vendorMac === undefined || m < a.vendorMac)) {
      a.vendorMac = m;
      a.vendor = v;
      this.summaryVersion++;
    }
  }

  private addRole(a: AssetState, role: string): void {
    const roles = (a.roles ??= new Set());
    if (roles.has(role)) return;
    roles.add(role);
    this.changed?.add(a);
    if (a.firstRole === undefined || role < a.firstRole) {
      a.firstRole = role;
      this.summaryVersion++;
    }
  }

  /** Adds to one of the asset's bounded sets and notes the asset as changed. */
  private addTo<T>(a: AssetState, set: Set<T>, v: T): void {
    addBounded(set, v);
    this.changed?.add(a);
  }

  get(ip: string): AssetRecord | undefined {
    const a = this.assets.get(ip);
    return a ? this.record(a) : undefined;
  }

  private record(a: AssetState): AssetRecord {
    const z = this.zones.zoneOf(a.ip);
    const macs = [...(a.macs ?? [])].sort().map((mac) => ({ mac, vendor: vendorOf(mac) ?? null }));
    const r: AssetRecord = {
      ip: a.ip, macs, vendor: macs.find((m) => m.vendor)?.vendor ?? null, zone: z.name,
      level: Number.isNaN(z.level) ? null : z.level, first_seen: isoTime(a.firstTs), last_seen: isoTime(a.lastTs),
      roles: [...(a.roles ?? [])].sort(), services: [...(a.services ?? [])].sort(),
    };
    if (a.modbusClientUnits?.size || a.modbusServerUnits?.size || a.deviceId?.size) {
      r.modbus = {
        client_units: [...(a.modbusClientUnits ?? [])].sort((x, y) => x - y), server_units: [...(a.modbusServerUnits ?? [])].sort((x, y) => x - y),
        device_id: Object.fromEntries([...(a.deviceId ?? [])].sort(([x], [y]) => x.localeCompare(y))),
      };
    }
    const o = a.opcua;
    if (o && (o.applicationUri || o.productUri || o.applicationName || o.endpointUrls?.size)) {
      r.opcua = {
        application_uri: o.applicationUri ?? null, product_uri: o.productUri ?? null, application_name: o.applicationName ?? null,
        endpoint_urls: [...(o.endpointUrls ?? [])].sort(),
      };
    }
    return r;
  }

  private sortedAssets(): AssetState[] {
    if (this.sorted.length !== this.assets.size) this.sorted = [...this.assets.values()].sort(compareIp);
    return this.sorted;
  }

  /** Every asset, IPv4 in numeric order then IPv6. */
  snapshot(): AssetRecord[] {
    return this.sortedAssets().map((a) => this.record(a));
  }

  /**
   * Per asset (snapshot order) what the metrics count each window: zone, first role ("host" without one), vendor
   * ("unknown" without one) and first sighting, equal to what the snapshot says. The same array is returned while no
   * asset and no zone changed; callers must not modify it.
   */
  summaries(): readonly AssetSummaryRow[] {
    const zv = this.zones.version;
    const c = this.summaryCache;
    if (c && c.version === this.summaryVersion && c.zones === zv) return c.rows;
    const rows = this.sortedAssets().map((a): AssetSummaryRow => ({
      ip: a.ip,
      zone: this.zones.zoneOf(a.ip).name,
      role: a.firstRole ?? "host",
      vendor: a.vendor ?? "unknown",
      // Date.parse(isoTime(ts)) / 1000 without the text
      firstSeen: Math.round(a.firstTs * 1000) / 1000,
    }));
    this.summaryCache = { version: this.summaryVersion, zones: zv, rows };
    return rows;
  }

  /**
   * Records of the assets that may have changed since the last call (snapshot order), for publishing only what changed.
   * The first call, and any call after the zones changed, returns every asset. last_seen alone does not count as a change.
   */
  changedRecords(): AssetRecord[] {
    const zv = this.zones.version;
    if (this.changed === undefined || zv !== this.changedZones) {
      this.changed = new Set();
      this.changedZones = zv;
      return this.snapshot();
    }
    if (this.changed.size === 0) return [];
    const list = [...this.changed].sort(compareIp);
    this.changed.clear();
    return list.map((a) => this.record(a));
  }

  /**
   * Restores assets from a saved snapshot (inventory-file.ts parses and validates it): after a restart the inventory
   * goes on from what it knew. An asset already known is merged (earliest first seen, latest last seen, sets joined);
   * bounds hold (MAX_ASSETS, MAX_PER_ASSET). Returns the number of assets restored.
   */
  importSnapshot(records: readonly SavedAsset[]): number {
    let n = 0;
    for (const r of records) {
      const first = Date.parse(r.first_seen) / 1000;
      const a = this.touch(r.ip, first, undefined);
      if (!a) continue;
      n++;
      this.touch(r.ip, Date.parse(r.last_seen) / 1000, undefined);
      for (const m of r.macs) this.addMac(a, m.mac);
      for (const role of r.roles) this.addRole(a, role);
      for (const svc of r.services) addBounded((a.services ??= new Set()), svc);
      this.changed?.add(a);
      if (r.modbus) {
        for (const u of r.modbus.client_units) addBounded((a.modbusClientUnits ??= new Set()), u);
        for (const u of r.modbus.server_units) addBounded((a.modbusServerUnits ??= new Set()), u);
        const deviceId = (a.deviceId ??= new Map());
        for (const [k, v] of Object.entries(r.modbus.device_id)) if (deviceId.size < MAX_PER_ASSET || deviceId.has(k)) deviceId.set(k, clip(v));
      }
      if (r.opcua) {
        setDesc(a, r.opcua.application_uri ?? undefined, r.opcua.product_uri ?? undefined, r.opcua.application_name ?? undefined);
        for (const u of r.opcua.endpoint_urls) addBounded(((a.opcua ??= {}).endpointUrls ??= new Set()), clip(u));
      }
    }
    return n;
  }

  /** The snapshot as pretty JSON with sorted keys (stable for golden files and diffs). */
  toJSON(): string {
    return `${JSON.stringify(sortKeys(this.snapshot()), null, 2)}\n`;
  }
}

interface OpcuaDesc {
  clientUri?: string;
  serverUri?: string;
  productUri?: string;
  applicationName?: string;
  endpointUrl?: string;
}

function setDesc(a: AssetState, uri: string | undefined, product: string | undefined, name: string | undefined): void {
  const o = (a.opcua ??= {});
  if (uri) o.applicationUri = clip(uri);
  if (product) o.productUri = clip(product);
  if (name) o.applicationName = clip(name);
}

function compareIp(x: { ip: string }, y: { ip: string }): number {
  const a = parseIpv4(x.ip);
  const b = parseIpv4(y.ip);
  if (a >= 0 && b >= 0) return a - b;
  if (a >= 0) return -1;
  if (b >= 0) return 1;
  return x.ip < y.ip ? -1 : x.ip > y.ip ? 1 : 0;
}
