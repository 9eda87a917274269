// Shared pieces of the behaviour analyzers: zone predicates (Purdue levels from the site config), bounded maps and
// sets (every table an analyzer keeps has a named limit and evicts its oldest entry), the model-file envelope, and
// event guards for the core flow events.

import { z } from "zod";
import type { ArpEvent, EventBase, FlowEndEvent, FlowStartEvent } from "../../core/types.ts";
import type { ZoneInfo } from "../types.ts";

/** OT = Purdue levels 0–3 and the DMZ (3.5): the hosts whose misbehaviour matters most. */
export function isOtOrDmz(z: ZoneInfo): boolean {
  return Number.isFinite(z.level) && z.level <= 3.5;
}

/** Control and supervisory levels (0–3), without the DMZ. */
export function isOt(z: ZoneInfo): boolean {
  return Number.isFinite(z.level) && z.level <= 3;
}

/** IT side: enterprise levels (≥ 4) and the internet. */
export function isItOrInternet(z: ZoneInfo): boolean {
  return z.name === "internet" || (Number.isFinite(z.level) && z.level >= 4);
}

export function isInternet(z: ZoneInfo): boolean {
  return z.name === "internet";
}

/**
 * Eviction cursors: one live iterator per bounded table, left just past the last entry it evicted. Deleting the first
 * entry of a V8 Map/Set leaves a hole that a fresh `keys().next()` must walk over; with the table held at its limit the
 * holes pile up until the next rehash, so evicting with a fresh iterator costs O(size) per insert (a SYN flood made that
 * quadratic). A kept iterator resumes where it stopped (V8 carries live iterators across rehashes), so each eviction is
 * amortised O(1). Same entry evicted as before: every entry before the cursor was yielded and deleted, an entry deleted
 * and re-inserted goes to the end, so the next entry the cursor yields is always the oldest present one.
 */
const cursors = new WeakMap<object, Iterator<unknown>>();

function oldest<T>(table: Map<T, unknown> | Set<T>): IteratorResult<T> {
  let it = cursors.get(table) as Iterator<T> | undefined;
  let r = it?.next();
  if (it === undefined || r === undefined || r.done === true) {
    it = table.keys();
    cursors.set(table, it);
    r = it.next();
  }
  return r;
}

/** Inserts into a Map, evicting the oldest entry when the limit is reached (Maps iterate in insertion order). */
export function setBounded<K, V>(m: Map<K, V>, key: K, value: V, max: number): void {
  if (m.size >= max && !m.has(key)) {
    const o = oldest(m);
    if (!o.done) m.delete(o.value);
  }
  m.set(key, value);
}

/** Removes the oldest entry of a Map (through its eviction cursor) and returns its value, so a caller can release it. */
export function evictOldest<K, V>(m: Map<K, V>): V | undefined {
  const o = oldest(m);
  if (o.done) return undefined;
  const v = m.get(o.value);
  m.delete(o.value);
  return v;
}

export function addBounded<T>(s: Set<T>, value: T, max: number): void {
  if (s.size >= max && !s.has(value)) {
    const o = oldest(s);
    if (!o.done) s.delete(o.value);
  }
  s.add(value);
}

/**
 * flow.end byte counts are IP bytes (headers included), so "no payload" is judged against a per-packet header
 * allowance: IPv6 (40) + TCP with options (40) is the largest ordinary header.
 */
export const HEADER_BYTES_PER_PACKET = 80;

/** True when the client sent application bytes beyond its packets' headers. */
export function carriedClientPayload(e: FlowEndEvent): boolean {
  return e.bytesToServer > e.pktsToServer * HEADER_BYTES_PER_PACKET;
}

/** Multicast and limited-broadcast destinations: discovery chatter (mDNS, SSDP, LLMNR, DHCP) is never answered in kind. */
export function isGroupAddress(ip: string): boolean {
  if (ip.includes(":")) return ip.toLowerCase().startsWith("ff");
  const first = Number(ip.slice(0, ip.indexOf(".")));
  return (first >= 224 && first <= 239) || ip === "255.255.255.255";
}

export function isFlowStart(e: EventBase): e is FlowStartEvent {
  return e.type === "flow.start";
}

export function isFlowEnd(e: EventBase): e is FlowEndEvent {
  return e.type === "flow.end";
}

export function isArp(e: EventBase): e is ArpEvent {
  return e.type === "arp";
}

/** Envelope of every behaviour model file: a version and sorted string lists / numeric maps, diffable as JSON. */
export const stringList = z.array(z.string());
export const numberMap = z.record(z.string(), z.number());

export function sortedList(s: Iterable<string>): string[] {
  return [...s].sort();
}

export function sortedRecord(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort()) out[k] = m.get(k) ?? 0;
  return out;
}

/** Formats seconds for summaries: "45 s", "2 min", "1.5 h". */
export function formatSeconds(s: number): string {
  if (s < 600) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 6) / 10} min`;
  return `${Math.round(s / 360) / 10} h`;
}

/** Formats a byte count for summaries. */
export function formatBytes(n: number): string {
  const one = (v: number): string => String(v < 10 ? Math.round(v * 10) / 10 : Math.round(v));
  if (n < 10_000) return `${n} B`;
  if (n < 1 << 20) return `${Math.round(n / 1024)} KiB`;
  if (n < 1 << 30) return `${one(n / (1 << 20))} MiB`;
  return `${one(n / (1 << 30))} GiB`;
}
