// Modbus metric contributor: unsolicited responses are not requests; the exception bit is stripped from the function
// code tag; writes counted only for write function codes; channel tags go through the limiter.
import { describe, expect, it } from "vitest";
import { T0, modbusEvent, zoneOf } from "../../test/helpers/metric-fixtures.ts";
import type { ModbusTransactionEvent } from "./events.ts";
import { createModbusMetrics } from "./metrics.ts";

describe("createModbusMetrics", () => {
  it("counts per function code: unsolicited apart, exception bit stripped, writes for write codes only", () => {
    const limited: string[] = [];
    const ctx = { zoneOf, limit: (space: string, v: string) => (limited.push(space), v) };
    const m = createModbusMetrics();
    m.observe(modbusEvent(T0, 1, 16, "ok", 0.003), ctx);
    const exception: ModbusTransactionEvent = { ...modbusEvent(T0, 2, 0x90, "exception", 0.002), exception: 2 };
    m.observe(exception, ctx);
    m.observe(modbusEvent(T0, 3, 16, "unsolicited"), ctx);
    m.observe(modbusEvent(T0, 4, 3, "timeout"), ctx);
    const by = Object.fromEntries(m.drain(T0 * 1e6).map((p) => [p.tags.fc, p]));
    expect(by["16"]?.fields).toEqual({ requests: 2, exceptions: 1, timeouts: 0, unsolicited: 1, writes: 2, rtt_p50: 0.002, rtt_p95: 0.003, rtt_max: 0.003 });
    expect(by["3"]?.fields).toEqual({ requests: 1, exceptions: 0, timeouts: 1, unsolicited: 0, writes: 0 });
    expect(by["3"]?.tags).toEqual({ channel: "10.0.1.5→10.0.2.10/1", server: "10.0.2.10", fc: "3", fc_name: "Read Holding Registers" });
    expect(new Set(limited)).toEqual(new Set(["modbus.channel", "modbus.server"]));
  });
});
