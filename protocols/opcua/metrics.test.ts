// OPC UA metric contributor: service calls, faults and timeouts per channel/service/security mode; pseudo-services for
// secure (undecodable) messages, channel actions and ERR; "Unknown(<id>)" folded so wire ids cannot add series.
import { describe, expect, it } from "vitest";
import { T0, opcuaEvent, zoneOf } from "../../test/helpers/metric-fixtures.ts";
import type { ContributorContext } from "../../src/metrics/aggregator.ts";
import type { OpcuaChannelEvent, OpcuaErrorEvent, OpcuaSecureMessageEvent } from "./events.ts";
import { createOpcuaMetrics } from "./metrics.ts";

const ctx: ContributorContext = { zoneOf, limit: (_space, v) => v };
const envelope = { ts: T0 + 1, frame: 1, flow: "F1", src: "10.0.1.7", sport: 50000, dst: "10.0.2.20", dport: 4840 };

describe("createOpcuaMetrics", () => {
  it("aggregates calls per service and folds unknown service ids", () => {
    const m = createOpcuaMetrics();
    m.observe(opcuaEvent(T0, 1, "Read", "ok", 0.002), ctx);
    m.observe(opcuaEvent(T0, 2, "Read", "bad", 0.004), ctx);
    m.observe(opcuaEvent(T0, 3, "Write", "timeout", 0), ctx);
    m.observe(opcuaEvent(T0, 4, "Unknown(12345)", "ok", 0.001), ctx);
    m.observe(opcuaEvent(T0, 5, "Unknown(999)", "fault", 0.001), ctx);
    const points = m.drain(T0 * 1e6);
    const by = Object.fromEntries(points.map((p) => [p.tags.service, p.fields]));
    expect(Object.keys(by).sort()).toEqual(["Read", "Unknown", "Write"]);
    expect(by.Read).toEqual({ calls: 2, faults: 1, timeouts: 0, rtt_p50: 0.002, rtt_p95: 0.004, rtt_max: 0.004 });
    expect(by.Write).toMatchObject({ calls: 1, timeouts: 1 });
    expect(by.Unknown).toMatchObject({ calls: 2, faults: 1 });
    expect(m.drain(T0 * 1e6 + 10e6)).toEqual([]);
  });

  it("counts secure messages with bytes, channel actions with bad results, and ERR messages", () => {
    const m = createOpcuaMetrics();
    const secure: OpcuaSecureMessageEvent = { ...envelope, type: "opcua.secure-msg", dir: 0, channelId: 3, tokenId: 1, size: 120, chunk: "F", securityMode: "SignAndEncrypt", securityPolicy: "Basic256Sha256" };
    m.observe(secure, ctx);
    const secondChunk: OpcuaSecureMessageEvent = { ...secure, size: 80 };
    m.observe(secondChunk, ctx);
    const open: OpcuaChannelEvent = { ...envelope, type: "opcua.channel", action: "open", channelId: 3, tokenId: 1, securityPolicy: "Basic256Sha256", securityMode: "SignAndEncrypt", serviceResult: 0x80010000 };
    m.observe(open, ctx);
    const err: OpcuaErrorEvent = { ...envelope, type: "opcua.error", error: 0x80820000, reason: "too large" };
    m.observe(err, ctx);
    const points = m.drain(T0 * 1e6);
    const by = Object.fromEntries(points.map((p) => [`${p.tags.service}|${p.tags.security_mode}`, p.fields]));
    expect(by["(secure)|SignAndEncrypt"]).toEqual({ calls: 2, faults: 0, timeouts: 0, bytes: 200 });
    expect(by["(channel)|SignAndEncrypt"]).toEqual({ calls: 1, faults: 1, timeouts: 0 });
    expect(by["(error)|unknown"]).toEqual({ calls: 1, faults: 0, timeouts: 0 });
    expect(points.every((p) => p.tags.channel === "10.0.1.7→10.0.2.20" && p.time === T0 * 1e6)).toBe(true);
  });
});
