// Deterministic synthetic events for the metrics and sink tests: a Modbus poller, an OPC UA client, flows and anomalies
// over `seconds` of packet time from T0 (window-aligned). Built by hand so every expected aggregate is computable.
import type { EventBase, FlowEndEvent, FlowStartEvent } from "../../src/core/types.ts";
import type { Anomaly, Severity, ZoneInfo } from "../../src/detect/types.ts";
import type { ModbusTransactionEvent } from "../../protocols/modbus/events.ts";
import type { OpcuaServiceEvent } from "../../protocols/opcua/events.ts";

/** Start of yesterday (UTC): window-aligned and inside the 30-day raw retention policy (older points are refused). */
export const T0 = Math.floor(Date.now() / 86_400_000) * 86_400 - 86_400;

export function zoneOf(ip: string): ZoneInfo {
  if (ip.startsWith("10.0.1.")) return { name: "enterprise", level: 4 };
  if (ip.startsWith("10.0.2.")) return { name: "control", level: 1 };
  return { name: "unknown", level: Number.NaN };
}

const base = (ts: number, frame: number, src: string, dst: string, dport: number) => ({
  ts,
  frame,
  flow: "F1",
  src,
  sport: 40000,
  dst,
  dport,
});

export function modbusEvent(ts: number, frame: number, fc: number, status: ModbusTransactionEvent["status"], rtt?: number): ModbusTransactionEvent {
  return {
    ...base(ts, frame, "10.0.1.5", "10.0.2.10", 502),
    type: "modbus",
    tid: frame & 0xffff,
    unit: 1,
    fc,
    fcName: fc === 3 ? "Read Holding Registers" : fc === 6 ? "Write Single Register" : `fc${fc}`,
    status,
    ...(rtt !== undefined ? { rtt } : {}),
  };
}

export function opcuaEvent(ts: number, frame: number, service: string, status: OpcuaServiceEvent["status"], rtt: number): OpcuaServiceEvent {
  return {
    ...base(ts, frame, "10.0.1.7", "10.0.2.20", 4840),
    type: "opcua.service",
    channelId: 1,
    tokenId: 1,
    requestId: frame,
    securityPolicy: "http://opcfoundation.org/UA/SecurityPolicy#None",
    securityMode: "None",
    service,
    status,
    rtt,
  };
}

/** Events sorted by ts: Modbus FC3 every 0.5 s (every 7th an exception, every 11th a timeout), FC6 every 5 s, OPC UA
 * Read every second (every 9th a fault), a flow start at T0 and its end at T0+35.5. */
export function syntheticEvents(seconds = 60): EventBase[] {
  const out: EventBase[] = [];
  let frame = 1;
  const start: FlowStartEvent = { ...base(T0, frame++, "10.0.1.5", "10.0.2.10", 502), type: "flow.start", transport: "tcp", service: "modbus", srcMac: undefined, dstMac: undefined, midstream: false };
  out.push(start);
  for (let k = 0; k < seconds * 2; k++) {
    const ts = T0 + k * 0.5 + 0.01;
    const status = k % 11 === 10 ? "timeout" : k % 7 === 6 ? "exception" : "ok";
    out.push(modbusEvent(ts, frame++, 3, status, status === "timeout" ? undefined : 0.001 + (k % 13) * 0.0005));
    if (k % 10 === 3) out.push(modbusEvent(ts + 0.1, frame++, 6, "ok", 0.004));
    if (k % 2 === 0) out.push(opcuaEvent(ts + 0.2, frame++, "Read", (k / 2) % 9 === 8 ? "fault" : "ok", 0.002 + (k % 5) * 0.001));
    if (k === 71) {
      const end: FlowEndEvent = {
        ...base(T0 + 35.5, frame++, "10.0.1.5", "10.0.2.10", 502),
        type: "flow.end", transport: "tcp", service: "modbus", reason: "fin", duration: 35.5,
        pktsToServer: 142, pktsToClient: 140, bytesToServer: 9230, bytesToClient: 11200, startTs: T0,
        established: true, rejected: false, midstream: false,
      };
      out.push(end);
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}

export function anomaly(i: number, ts: number, severity: Severity = "high", kind = "modbus.new-function-code"): Anomaly {
  const iso = new Date(ts * 1000).toISOString();
  return {
    id: `A${String(i).padStart(6, "0")}`,
    ts: iso,
    kind,
    severity,
    src: "10.0.1.5",
    dst: "10.0.2.10",
    protocol: "modbus",
    summary: `anomaly number ${i}: 10.0.1.5 used a function code never seen on this channel`,
    attack: "T0836,T0855",
    evidence: JSON.stringify({ fc: 6, frame: i }),
    count: 1 + (i % 3),
    first_seen: iso,
    last_seen: iso,
    src_zone: "enterprise",
    dst_zone: "control",
  };
}
