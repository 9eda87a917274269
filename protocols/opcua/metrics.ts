// OPC UA events → the `opcua` measurement (src/metrics/schema.ts OPCUA): per window, per channel (client→server),
// service and security mode: calls, faults, timeouts, response time p50/p95/max; secure (undecodable) messages, channel
// actions and ERR messages under the pseudo-services "(secure)", "(channel)", "(error)". "Unknown(<id>)" service names
// fold into "Unknown" because the id comes off the wire (unbounded).
import type { EventBase } from "../../src/core/types.ts";
import type { ContributorContext, MetricContributor } from "../../src/metrics/aggregator.ts";
import { OPCUA, type MetricPoint } from "../../src/metrics/schema.ts";
import { RttPool, type RttReservoir } from "../../src/metrics/window-stats.ts";
import type { OpcuaChannelEvent, OpcuaSecureMessageEvent, OpcuaServiceEvent } from "./events.ts";

interface Acc {
  channel: string;
  server: string;
  service: string;
  mode: string;
  calls: number;
  faults: number;
  timeouts: number;
  bytes: number;
  rtt: RttReservoir;
}

function serviceTag(name: string): string {
  return name.startsWith("Unknown") ? "Unknown" : name;
}

type Level<T> = Map<string, T>;

export function createOpcuaMetrics(): MetricContributor {
  let accs = new Map<string, Acc>();
  const pool = new RttPool();
  /** This window's client → server → service → mode → accumulator, for channels the tag limiter keeps as they are
   * (their limit() has no effect left), so an event builds no tag or key string. Emptied with the window. */
  let fast: Level<Level<Level<Level<Acc>>>> = new Map();
  const get = (e: EventBase, ctx: ContributorContext, service: string, mode: string): Acc => {
    const known = fast.get(e.src)?.get(e.dst)?.get(service)?.get(mode);
    if (known !== undefined) return known;
    const text = `${e.src}→${e.dst}`;
    const channel = ctx.limit("opcua.channel", text);
    const key = `${channel}\0${service}\0${mode}`;
    let acc = accs.get(key);
    if (!acc) {
      acc = { channel, server: ctx.limit("opcua.server", e.dst), service, mode, calls: 0, faults: 0, timeouts: 0, bytes: 0, rtt: pool.take() };
      accs.set(key, acc);
    }
    if (channel === text) {
      let byServer = fast.get(e.src);
      if (byServer === undefined) fast.set(e.src, (byServer = new Map()));
      let byService = byServer.get(e.dst);
      if (byService === undefined) byServer.set(e.dst, (byService = new Map()));
      let byMode = byService.get(service);
      if (byMode === undefined) byService.set(service, (byMode = new Map()));
      byMode.set(mode, acc);
    }
    return acc;
  };
  return {
    name: "opcua",
    observe(event: EventBase, ctx: ContributorContext): void {
      switch (event.type) {
        case "opcua.service": {
          const e = event as OpcuaServiceEvent;
          const acc = get(e, ctx, serviceTag(e.service), e.securityMode);
          acc.calls++;
          if (e.status === "fault" || e.status === "bad") acc.faults++;
          else if (e.status === "timeout") acc.timeouts++;
          if (e.rtt !== undefined) acc.rtt.add(e.rtt);
          break;
        }
        case "opcua.secure-msg": {
          const e = event as OpcuaSecureMessageEvent;
          const acc = get(e, ctx, "(secure)", e.securityMode);
          acc.calls++;
          acc.bytes += e.size;
          break;
        }
        case "opcua.channel": {
          const e = event as OpcuaChannelEvent;
          const acc = get(e, ctx, "(channel)", e.securityMode);
          acc.calls++;
          if (e.serviceResult !== undefined && e.serviceResult >>> 31 === 1) acc.faults++;
          break;
        }
        case "opcua.error":
          get(event, ctx, "(error)", "unknown").calls++;
          break;
      }
    },
    drain(timeUs: number): MetricPoint[] {
      const points: MetricPoint[] = [];
      for (const a of accs.values()) {
        const fields: Record<string, number> = { calls: a.calls, faults: a.faults, timeouts: a.timeouts };
        if (a.bytes > 0) fields.bytes = a.bytes;
        pool.drainInto(a.rtt, fields);
        points.push({
          measurement: OPCUA.name,
          tags: { channel: a.channel, server: a.server, service: a.service, security_mode: a.mode },
          fields,
          time: timeUs,
        });
      }
      accs = new Map();
      fast = new Map();
      return points;
    },
  };
}
