// "Learn this": folds the fact behind a Modbus anomaly into the baseline so it does not fire again. The anomaly's
// evidence (compact JSON written by detectors.ts) carries client, server, unit and the function code, table, address,
// value or poll key involved. Rate, sweep and burst kinds have no single fact to fold and are refused.

import type { Anomaly } from "../../src/detect/types.ts";
import { anomalySeconds, parseEvidence } from "../../src/detect/evidence.ts";
import { addToRange } from "../../src/detect/learned-stats.ts";
import { addRange, type ModbusTable } from "./addresses.ts";
import { ChannelState, channelKey, MODBUS_MAX_CHANNELS, type ModbusBaseline } from "./model.ts";

const TABLES = new Set<string>(["coils", "discrete-inputs", "input-registers", "holding-registers"]);

export function acceptModbusAnomaly(baseline: ModbusBaseline, anomaly: Anomaly): boolean {
  const ev = parseEvidence(anomaly);
  if (ev === undefined) return false;
  const client = typeof ev.client === "string" ? ev.client : undefined;
  const server = typeof ev.server === "string" ? ev.server : undefined;
  const unit = typeof ev.unit === "number" ? ev.unit : undefined;
  if (client === undefined || server === undefined || unit === undefined) return false;
  const key = channelKey(client, server, unit);
  let ch = baseline.channels.get(key);
  if (ch === undefined) {
    if (anomaly.kind !== "modbus.new-channel" || baseline.channels.size >= MODBUS_MAX_CHANNELS) return false;
    ch = ChannelState.create(client, server, unit, anomalySeconds(anomaly));
    baseline.channels.set(key, ch);
  }
  const m = ch.m;
  const fc = typeof ev.fc === "number" ? ev.fc : undefined;
  const addFc = (): void => {
    if (fc !== undefined) m.functionCodes[String(fc)] = (m.functionCodes[String(fc)] ?? 0) + 1;
  };
  switch (anomaly.kind) {
    case "modbus.new-channel":
    case "modbus.new-function-code":
    case "modbus.programming":
      addFc();
      return true;
    case "modbus.restart":
    case "modbus.listen-only":
    case "modbus.diagnostics":
      addFc();
      if (typeof ev.subFunction === "number" && !m.diagnostics.includes(ev.subFunction)) m.diagnostics.push(ev.subFunction);
      m.diagnostics.sort((a, b) => a - b);
      return true;
    case "modbus.device-identification":
      addFc();
      if (!m.meiTypes.includes(14)) m.meiTypes.push(14);
      m.meiTypes.sort((a, b) => a - b);
      return true;
    case "modbus.write-new-address":
    case "modbus.write-out-of-range": {
      const table = typeof ev.table === "string" && TABLES.has(ev.table) ? (ev.table as ModbusTable) : undefined;
      const address = typeof ev.address === "number" ? ev.address : undefined;
      if (table === undefined || address === undefined) return false;
      const count = typeof ev.count === "number" ? ev.count : 1;
      addRange((m.writes[table] ??= []), address, address + Math.max(1, count) - 1);
      if (typeof ev.value === "number" && table !== "coils") m.values[`${table}:${address}`] = addToRange(m.values[`${table}:${address}`], ev.value);
      return true;
    }
    default:
      return false;
  }
}
