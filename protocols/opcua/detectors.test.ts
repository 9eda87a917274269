// OPC UA analyzer: each detector fires on the deviation it names (kind, src, dst) and stays quiet on normal traffic
// (periodic engineering sessions with browsing, secure-channel renewals, first-time values inside the learned range).
import { describe, expect, it } from "vitest";
import type { Analyzer, AnomalyDraft } from "../../src/detect/types.ts";
import type { OpcuaEvent, OpcuaServiceEvent } from "./events.ts";
import { createOpcuaAnalyzer } from "./detectors.ts";
import { isWeakerThanLearned } from "./security.ts";
import {
  analyzerContext, byTime, opcuaCall, opcuaChannel, opcuaRead, opcuaSecureMsg, opcuaService, opcuaSession, opcuaValue, opcuaWrite,
  POLICY_BASIC256SHA256, POLICY_NONE, seededRandom,
} from "../../test/fixtures/ot-events.ts";

const SRV = "192.168.9.5";
const OPERATOR = "192.168.7.10";
const EWS = "192.168.7.11";
const SECURE = "192.168.7.12";
const HIST = "192.168.6.20";
const SETPOINT = "ns=2;s=Oven3.Setpoint";
const LEARN = 2400;
const T0 = 1_700_000_000;
const END = T0 + LEARN;

function browseSession(t: number, i: number, token: "username" | "anonymous" = "username"): OpcuaServiceEvent[] {
  return opcuaSession(t, EWS, SRV, { token, clientUri: "urn:ews:tool", channelId: 100 + i }, (s) => [
    ...Array.from({ length: 7 }, (_, k) => opcuaService({ ts: s + k * 0.2, src: EWS, dst: SRV, service: "Browse", channelId: 100 + i, request: { nodes: [`ns=2;s=Area${k}`, `ns=2;s=Area${k}.Sub`] } })),
    opcuaRead(s + 2, EWS, SRV, ["i=2258", "ns=2;s=Area1.Status"], { channelId: 100 + i }),
  ]);
}

/** A normal stretch of plant: operator reads and writes a setpoint, historian subscribes, EWS sessions browse every ~9
 * min, a secure client talks over an encrypted channel (discovery first on None) and renews its token. */
function normal(from: number, to: number, seed: number, withSessionStart = true): OpcuaEvent[] {
  const rnd = seededRandom(seed);
  const ev: OpcuaEvent[] = [];
  if (withSessionStart) {
    ev.push(...opcuaSession(from + 1, OPERATOR, SRV, { token: "username", clientUri: "urn:hmi:runtime" }).slice(0, 3));
    ev.push(...opcuaSession(from + 2, HIST, SRV, { token: "username", clientUri: "urn:historian" }).slice(0, 3));
    ev.push(opcuaService({ ts: from + 3, src: HIST, dst: SRV, service: "CreateSubscription" }));
    ev.push(opcuaService({ ts: from + 3.1, src: HIST, dst: SRV, service: "CreateMonitoredItems", request: { nodes: ["ns=2;s=A", "ns=2;s=B"] } }));
    ev.push(opcuaService({ ts: from + 4, src: SECURE, dst: SRV, service: "GetEndpoints", channelId: 7 }));
    ev.push(opcuaChannel(from + 4, SECURE, SRV, "open", POLICY_NONE, "None", { channelId: 7 }));
    ev.push(opcuaChannel(from + 5, SECURE, SRV, "open", POLICY_BASIC256SHA256, "SignAndEncrypt", { channelId: 8, clientCertThumbprint: "AA11" }));
  }
  for (let t = from + 10; t < to; t += 20 + rnd()) ev.push(opcuaRead(t, OPERATOR, SRV, ["ns=2;s=Oven3.Temp", "ns=2;s=Oven3.State", SETPOINT]));
  for (let t = from + 30 + rnd() * 200; t < to; t += 600 + rnd() * 420) ev.push(opcuaWrite(t, OPERATOR, SRV, SETPOINT, opcuaValue("Double", Math.round(35 + rnd() * 15))));
  for (let t = from + 12; t < to; t += 5) ev.push(opcuaService({ ts: t, src: HIST, dst: SRV, service: "Publish" }));
  for (let t = from + 15; t < to; t += 30) ev.push(opcuaRead(t, HIST, SRV, ["ns=2;s=A", "ns=2;s=B"]));
  for (let t = from + 60, i = 0; t < to; t += 450 + rnd() * 330, i++) ev.push(...browseSession(t, i + seed * 100));
  for (let t = from + 6; t < to; t += 2 + rnd()) ev.push(opcuaSecureMsg(t, SECURE, SRV, POLICY_BASIC256SHA256, "SignAndEncrypt", 8));
  for (let t = from + 600; t < to; t += 600) ev.push(opcuaChannel(t, SECURE, SRV, "renew", POLICY_BASIC256SHA256, "SignAndEncrypt", { channelId: 8, clientCertThumbprint: "AA11" }));
  return byTime(ev);
}

function learnedAnalyzer(extra: OpcuaEvent[] = []): Analyzer {
  const a = createOpcuaAnalyzer();
  for (const e of byTime(normal(T0, END, 1), extra)) a.observe(e, analyzerContext("learning", e.ts, LEARN, e.ts - T0));
  a.endLearning?.(analyzerContext("detecting", END, LEARN));
  return a;
}

function detect(a: Analyzer, events: OpcuaEvent[]): AnomalyDraft[] {
  return events.flatMap((e) => a.observe(e, analyzerContext("detecting", e.ts, LEARN)) ?? []);
}

const triples = (ds: AnomalyDraft[]): string[][] => ds.map((d) => [d.kind, d.src, d.dst]);

describe("opcua analyzer on normal traffic", () => {
  it("stays quiet for an hour: new EWS sessions with browsing, token renewals, setpoint writes in range", () => {
    expect(detect(learnedAnalyzer(), normal(END, END + 3600, 2, false))).toEqual([]);
  });

  it("stays quiet when the historian reconnects and tears down its subscription (lifecycle services)", () => {
    const evs = [
      ...opcuaSession(END + 10, HIST, SRV, { token: "username", clientUri: "urn:historian" }),
      opcuaService({ ts: END + 11, src: HIST, dst: SRV, service: "DeleteSubscriptions" }),
      opcuaService({ ts: END + 11, src: HIST, dst: SRV, service: "Republish" }),
    ];
    expect(detect(learnedAnalyzer(), byTime(evs))).toEqual([]);
  });
});

describe("opcua detectors", () => {
  it("new-client: a host never seen on the server", () => {
    const ds = detect(learnedAnalyzer(), opcuaSession(END + 5, "10.66.0.9", SRV, {}));
    expect(triples(ds)).toEqual([["opcua.new-client", "10.66.0.9", SRV]]);
    expect(ds[0]?.summary).toContain(`its clients were ${HIST}, ${OPERATOR}, ${EWS}, ${SECURE}`);
  });

  it("new-service: the operator browses (never did); medium", () => {
    const ds = detect(learnedAnalyzer(), [opcuaService({ ts: END + 5, src: OPERATOR, dst: SRV, service: "Browse", request: { nodes: ["i=85"] } })]);
    expect(ds.map((d) => [d.kind, d.src, d.dst, d.severity])).toEqual([["opcua.new-service", OPERATOR, SRV, "medium"]]);
  });

  it("write-new-node: names the node and what the client wrote while learning", () => {
    const ds = detect(learnedAnalyzer(), [opcuaWrite(END + 5, OPERATOR, SRV, "ns=2;s=Oven3.TripLimit", opcuaValue("Double", 400))]);
    expect(triples(ds)).toEqual([["opcua.write-new-node", OPERATOR, SRV]]);
    expect(ds[0]?.summary).toBe(`${OPERATOR} wrote ns=2;s=Oven3.TripLimit on ${SRV}:4840 (value 400); during 40 min of learning it only wrote ${SETPOINT}`);
    expect(ds[0]?.attack).toEqual(["T0836", "T0855"]);
  });

  it("write-new-node and new-service: a client that never wrote writes", () => {
    const ds = detect(learnedAnalyzer(), [opcuaWrite(END + 5, HIST, SRV, SETPOINT, opcuaValue("Double", 40))]);
    expect(ds.map((d) => d.kind).sort()).toEqual(["opcua.new-service", "opcua.write-new-node"]);
    expect(ds.find((d) => d.kind === "opcua.new-service")?.severity).toBe("high");
  });

  it("write-out-of-range fires far outside the learned values; a first-time value inside stays quiet", () => {
    const a = learnedAnalyzer();
    expect(detect(a, [opcuaWrite(END + 5, OPERATOR, SRV, SETPOINT, opcuaValue("Double", 37))])).toEqual([]);
    const ds = detect(a, [opcuaWrite(END + 6, OPERATOR, SRV, SETPOINT, opcuaValue("Double", 400))]);
    expect(triples(ds)).toEqual([["opcua.write-out-of-range", OPERATOR, SRV]]);
  });

  it("call-new-method: a method never called; a learned one stays quiet", () => {
    const a = learnedAnalyzer([opcuaCall(T0 + 100, OPERATOR, SRV, "ns=2;s=Oven3", "ns=2;s=Oven3.Reset"), opcuaCall(T0 + 900, OPERATOR, SRV, "ns=2;s=Oven3", "ns=2;s=Oven3.Reset")]);
    expect(detect(a, [opcuaCall(END + 5, OPERATOR, SRV, "ns=2;s=Oven3", "ns=2;s=Oven3.Reset")])).toEqual([]);
    const ds = detect(a, [opcuaCall(END + 6, OPERATOR, SRV, "ns=2;s=Oven3", "ns=2;s=Oven3.Shutdown")]);
    expect(triples(ds)).toEqual([["opcua.call-new-method", OPERATOR, SRV]]);
    expect(ds[0]?.summary).toContain("it only called ns=2;s=Oven3.Reset");
  });

  it("security-downgrade: session traffic on None where only SignAndEncrypt carried sessions; discovery on None stays quiet", () => {
    const a = learnedAnalyzer();
    expect(detect(a, [opcuaChannel(END + 1, SECURE, SRV, "open", POLICY_NONE, "None", { channelId: 9 }), opcuaService({ ts: END + 1.1, src: SECURE, dst: SRV, service: "GetEndpoints", channelId: 9 })])).toEqual([]);
    const ds = detect(a, [opcuaService({ ts: END + 2, src: SECURE, dst: SRV, service: "CreateSession", channelId: 9 })]);
    expect(ds.map((d) => [d.kind, d.src, d.dst, d.severity])).toEqual([["opcua.security-downgrade", SECURE, SRV, "high"]]);
    expect(ds[0]?.summary).toContain("used security None/None for CreateSession");
    expect(ds[0]?.summary).toContain("Basic256Sha256/SignAndEncrypt");
  });

  it("security-downgrade: Sign-only messages where SignAndEncrypt was learned", () => {
    const ds = detect(learnedAnalyzer(), [opcuaSecureMsg(END + 3, SECURE, SRV, POLICY_BASIC256SHA256, "Sign", 12)]);
    expect(triples(ds)).toEqual([["opcua.security-downgrade", SECURE, SRV]]);
  });

  it("new-certificate: another client certificate; the learned one on renew stays quiet", () => {
    const a = learnedAnalyzer();
    expect(detect(a, [opcuaChannel(END + 1, SECURE, SRV, "renew", POLICY_BASIC256SHA256, "SignAndEncrypt", { channelId: 8, clientCertThumbprint: "aa11" })])).toEqual([]);
    const ds = detect(a, [opcuaChannel(END + 2, SECURE, SRV, "open", POLICY_BASIC256SHA256, "SignAndEncrypt", { channelId: 10, clientCertThumbprint: "BB22" })]);
    expect(triples(ds)).toEqual([["opcua.new-certificate", SECURE, SRV]]);
  });

  it("anonymous-login: the EWS logs in anonymously where it used a user name", () => {
    const ds = detect(learnedAnalyzer(), browseSession(END + 5, 77, "anonymous"));
    expect(ds.map((d) => [d.kind, d.src, d.dst, d.severity])).toEqual([["opcua.anonymous-login", EWS, SRV, "high"]]);
  });

  it("new-application: the operator host opens a session as another application", () => {
    const ds = detect(learnedAnalyzer(), opcuaSession(END + 5, OPERATOR, SRV, { token: "username", clientUri: "urn:attacker:tool" }));
    expect(triples(ds)).toEqual([["opcua.new-application", OPERATOR, SRV]]);
  });

  it("browse-storm: hundreds of nodes browsed in a minute by a client that browses a few per session", () => {
    const storm = Array.from({ length: 120 }, (_, k) => opcuaService({ ts: END + 5 + k * 0.2, src: EWS, dst: SRV, service: "Browse", request: { nodes: [`ns=2;s=N${k}`, `ns=2;s=M${k}`] } }));
    const ds = detect(learnedAnalyzer(), storm);
    expect(ds.map((d) => [d.kind, d.src, d.dst, d.severity])).toEqual([["opcua.browse-storm", EWS, SRV, "medium"]]);
  });

  it("session-churn: many sessions in minutes from a client that opens one every few minutes", () => {
    const evs = Array.from({ length: 30 }, (_, k) => opcuaSession(END + 5 + k * 8, EWS, SRV, { token: "username", clientUri: "urn:ews:tool", channelId: 500 + k })).flat();
    const a = learnedAnalyzer();
    const peak = (a.exportModel() as { channels: Record<string, { peakSessions: number }> }).channels[`${EWS}|${SRV}:4840`]?.peakSessions ?? NaN;
    expect(peak).toBeGreaterThanOrEqual(1);
    const ds = detect(a, evs);
    // Reported when the count crosses the threshold, then at most once a minute while it lasts (the engine aggregates).
    expect(ds.length).toBeGreaterThanOrEqual(1);
    expect(new Set(triples(ds).map((t) => t.join()))).toEqual(new Set([["opcua.session-churn", EWS, SRV].join()]));
    expect(ds[0]?.ts).toBe(evs.filter((e) => e.service === "CreateSession")[Math.max(4 * peak, peak + 10)]?.ts);
  });
});

describe("opcua model", () => {
  it("round-trips export → import → export and detects from the imported baseline", () => {
    const a = learnedAnalyzer();
    const m = a.exportModel() as { version: number; channels: Record<string, { written: string[]; sessionSecurity: string[]; identityTokens: string[] }> };
    expect(m.version).toBe(1);
    const op = m.channels[`${OPERATOR}|${SRV}:4840`];
    expect(op?.written).toEqual([SETPOINT]);
    expect(m.channels[`${SECURE}|${SRV}:4840`]?.sessionSecurity).toEqual(["Basic256Sha256/SignAndEncrypt"]);
    expect(m.channels[`${EWS}|${SRV}:4840`]?.identityTokens).toEqual(["username"]);
    const text = JSON.stringify(m);
    const b = createOpcuaAnalyzer();
    b.importModel(JSON.parse(text));
    expect(JSON.stringify(b.exportModel())).toBe(text);
    expect(triples(detect(b, [opcuaWrite(END + 5, OPERATOR, SRV, "ns=2;s=X", opcuaValue("Int32", 1))]))).toEqual([["opcua.write-new-node", OPERATOR, SRV]]);
  });

  it("rejects a bad model naming the field", () => {
    expect(() => createOpcuaAnalyzer().importModel({ version: 1, protocol: "opcua", learnedSeconds: -1 })).toThrow(/learnedSeconds/);
  });

  it("accept folds a newly written node into the baseline", () => {
    const a = learnedAnalyzer();
    const [d] = detect(a, [opcuaWrite(END + 5, OPERATOR, SRV, "ns=2;s=Oven3.TripLimit", opcuaValue("Double", 400))]);
    const ok = a.accept?.({ id: "1", ts: "", kind: d?.kind ?? "", severity: "high", src: OPERATOR, dst: SRV, protocol: "opcua", summary: "", attack: "", evidence: JSON.stringify(d?.evidence), count: 1, first_seen: "", last_seen: "", src_zone: "", dst_zone: "" });
    expect(ok).toBe(true);
    expect(detect(a, [opcuaWrite(END + 500, OPERATOR, SRV, "ns=2;s=Oven3.TripLimit", opcuaValue("Double", 410))])).toEqual([]);
  });
});

describe("opcua security ordering", () => {
  it("ranks modes and policies, and gives no verdict on unknown modes", () => {
    const learned = ["None/None", "Basic256Sha256/SignAndEncrypt"];
    expect(isWeakerThanLearned("None/None", learned)).toBe(false);
    expect(isWeakerThanLearned("None/None", ["Basic256Sha256/SignAndEncrypt"])).toBe(true);
    expect(isWeakerThanLearned("Basic256Sha256/Sign", ["Basic256Sha256/SignAndEncrypt"])).toBe(true);
    expect(isWeakerThanLearned("Basic128Rsa15/SignAndEncrypt", ["Basic256Sha256/SignAndEncrypt"])).toBe(true);
    expect(isWeakerThanLearned("Aes256_Sha256_RsaPss/SignAndEncrypt", ["Basic256Sha256/SignAndEncrypt"])).toBe(false);
    expect(isWeakerThanLearned("unknown/unknown", ["Basic256Sha256/SignAndEncrypt"])).toBe(false);
  });
});

describe("opcua analyzer on odd input", () => {
  it("never throws on events with missing, extreme or inconsistent fields, and its model still round-trips", () => {
    const rnd = seededRandom(7);
    const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
    const a = createOpcuaAnalyzer();
    let drafts = 0;
    for (let i = 0; i < 3000; i++) {
      const ts = T0 + i * 0.9;
      const src = pick([OPERATOR, EWS, "10.9.9.9", ""]);
      const value = opcuaValue(pick(["Double", "Int32", "Boolean", "String", "Weird"]), pick(["1", "NaN", "1e400", "", "-5", "x"]));
      const e: OpcuaEvent = pick([
        opcuaService({ ts, src, dst: SRV, service: pick(["Write", "Call", "Read", "Browse", "CreateSession", "ActivateSession", "Unknown(999)", ""]), status: pick(["ok", "fault", "timeout", "unsolicited"] as const),
          securityPolicy: pick(["", POLICY_NONE, POLICY_BASIC256SHA256, "x#"]), securityMode: pick(["None", "Sign", "SignAndEncrypt", "Invalid", "unknown"] as const),
          request: pick([undefined, {}, { writes: [{ node: "", attribute: 13, value }] }, { calls: [{ object: "o", method: "", args: [] }] }, { nodes: [], identityToken: "unknown" as const, clientUri: "" }]) }),
        opcuaChannel(ts, src, SRV, pick(["open", "renew", "close"] as const), pick(["", POLICY_NONE, POLICY_BASIC256SHA256]), pick(["None", "Invalid", "SignAndEncrypt"] as const), { clientCertThumbprint: pick(["", "AB"]) }),
        opcuaSecureMsg(ts, src, SRV, pick(["", POLICY_BASIC256SHA256]), pick(["Sign", "unknown", "SignAndEncrypt"] as const)),
      ]);
      const mode = i < 1500 ? "learning" : "detecting";
      if (i === 1500) a.endLearning?.(analyzerContext("detecting", ts, LEARN));
      drafts += a.observe(e, analyzerContext(mode, ts, LEARN, Math.min(ts - T0, LEARN)))?.length ?? 0;
    }
    expect(drafts).toBeGreaterThan(0);
    const text = JSON.stringify(a.exportModel());
    const b = createOpcuaAnalyzer();
    b.importModel(JSON.parse(text));
    expect(JSON.stringify(b.exportModel())).toBe(text);
  });
});
