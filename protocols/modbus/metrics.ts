// Modbus/TCP events → the `modbus` measurement (src/metrics/schema.ts MODBUS): per window, per channel
// (client→server/unit) and function code: requests, exceptions, timeouts, unsolicited responses, writes and response
// time p50/p95/max. Channel and server tags are capped by the aggregator's tag limiter (bounded cardinality).
import type { EventBase } from "../../src/core/types.ts";
import type { ContributorContext, MetricContributor } from "../../src/metrics/aggregator.ts";
import { MODBUS, type MetricPoint } from "../../src/metrics/schema.ts";
import { RttPool, type RttReservoir } from "../../src/metrics/window-stats.ts";
import type { ModbusTransactionEvent } from "./events.ts";

/** Function codes that change the PLC's state. */
export const MODBUS_WRITE_FCS: ReadonlySet<number> = new Set([5, 6, 15, 16, 22, 23]);

interface Acc {
  channel: string;
  server: string;
  fc: number;
  fcName: string;
  requests: number;
  exceptions: number;
  timeouts: number;
  unsolicited: number;
  writes: number;
  rtt: RttReservoir;
}

interface FlowSlot {
  readonly src: string;
  readonly dst: string;
  readonly byCode: Map<number, Acc>;
}

export function createModbusMetrics(): MetricContributor {
  let accs = new Map<string, Acc>();
  const pool = new RttPool();
  /** This window's flow id → (client, server) → unit·128+fc → accumulator, for channels the tag limiter keeps as they
   * are (their limit() has no effect left), so a transaction builds no tag or key string. Emptied with the window. */
  let fast = new Map<string, FlowSlot>();

  function slowAcc(e: ModbusTransactionEvent, fc: number, ctx: ContributorContext): Acc {
    const text = `${e.src}→${e.dst}/${e.unit}`;
    const channel = ctx.limit("modbus.channel", text);
    const key = `${channel}\0${fc}`;
    let acc = accs.get(key);
    if (!acc) {
      acc = {
        channel,
        server: ctx.limit("modbus.server", e.dst),
        fc,
        fcName: e.fcName || `fc${fc}`,
        requests: 0,
        exceptions: 0,
        timeouts: 0,
        unsolicited: 0,
        writes: 0,
        rtt: pool.take(),
      };
      accs.set(key, acc);
    }
    if (channel === text) {
      let slot = fast.get(e.flow);
      if (slot === undefined || slot.src !== e.src || slot.dst !== e.dst) fast.set(e.flow, (slot = { src: e.src, dst: e.dst, byCode: new Map() }));
      slot.byCode.set(e.unit * 128 + fc, acc);
    }
    return acc;
  }

  return {
    name: "modbus",
    observe(event: EventBase, ctx: ContributorContext): void {
      if (event.type !== "modbus") return;
      const e = event as ModbusTransactionEvent;
      const fc = e.fc & 0x7f;
      const slot = fast.get(e.flow);
      const acc = (slot !== undefined && slot.src === e.src && slot.dst === e.dst ? slot.byCode.get(e.unit * 128 + fc) : undefined) ?? slowAcc(e, fc, ctx);
      if (e.status === "unsolicited") acc.unsolicited++;
      else {
        acc.requests++;
        if (MODBUS_WRITE_FCS.has(fc)) acc.writes++;
      }
      if (e.status === "exception") acc.exceptions++;
      else if (e.status === "timeout") acc.timeouts++;
      if (e.rtt !== undefined) acc.rtt.add(e.rtt);
    },
    drain(timeUs: number): MetricPoint[] {
      const points: MetricPoint[] = [];
      for (const a of accs.values()) {
        const fields: Record<string, number> = {
          requests: a.requests,
          exceptions: a.exceptions,
          timeouts: a.timeouts,
          unsolicited: a.unsolicited,
          writes: a.writes,
        };
        pool.drainInto(a.rtt, fields);
        points.push({
          measurement: MODBUS.name,
          tags: { channel: a.channel, server: a.server, fc: String(a.fc), fc_name: a.fcName },
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
