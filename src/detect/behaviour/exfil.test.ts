// Exfiltration: fires on large outward uploads (one flow, chunked hourly sums, HTTP POST) from OT/DMZ and IT hosts to
// new destinations; quiet on backups inside a zone, downloads, and transfers within what learning showed.
import { describe, expect, it } from "vitest";
import type { EventBase } from "../../core/types.ts";
import { ExfilAnalyzer, outward } from "./exfil.ts";
import { T0, busyItTraffic, connection, drive, httpRequest, plantNormalTraffic, zoneOf } from "./test-kit.ts";

const LEARN = T0 + 3600;
const MiB = 1024 * 1024;

describe("outward", () => {
  it("follows the Purdue levels and the internet", () => {
    expect(outward(zoneOf("192.168.20.5"), zoneOf("10.10.1.1"))).toBe(true);
    expect(outward(zoneOf("10.10.1.1"), zoneOf("192.168.20.5"))).toBe(false);
    expect(outward(zoneOf("10.10.1.1"), zoneOf("10.10.2.2"))).toBe(false);
    expect(outward(zoneOf("10.10.1.1"), zoneOf("203.0.113.9"))).toBe(true);
    expect(outward(zoneOf("10.20.0.20"), zoneOf("172.20.0.9"))).toBe(true);
  });
});

describe("ExfilAnalyzer", () => {
  it("fires on a historian uploading 5 MiB in one flow to a new internet host, and on a chunked upload", () => {
    const ev: EventBase[] = [
      ...connection({ ts: T0, src: "10.20.0.20", dst: "192.168.10.7", dport: 4840, bytesToServer: 4000, bytesToClient: 90000 }),
      ...connection({ ts: LEARN + 100, src: "10.20.0.20", dst: "198.18.7.7", dport: 443, duration: 60, bytesToServer: 5 * MiB, bytesToClient: 20000 }),
    ];
    for (let i = 0; i < 40; i++) ev.push(...connection({ ts: LEARN + 200 + i * 30, src: "192.168.10.6", dst: "203.0.113.99", dport: 443, bytesToServer: 200 * 1024, bytesToClient: 3000 }));
    const drafts = drive(new ExfilAnalyzer(), ev, LEARN);
    expect(drafts.map((d) => `${d.kind} ${d.src} ${d.dst} ${d.severity}`)).toEqual([
      "net.exfil 10.20.0.20 198.18.7.7 critical",
      "net.exfil 192.168.10.6 203.0.113.99 critical",
    ]);
    expect(drafts[0]?.summary).toBe("10.20.0.20 → 198.18.7.7: one tcp flow on port 443 sent 5 MiB and received 20 KiB; 198.18.7.7 was never a destination of 10.20.0.20 in learning");
    expect(drafts[0]?.attack).toEqual(["T1041", "T1048"]);
  });

  it("fires on an HTTP POST with a big body from an IT host to a new host before the flow ends", () => {
    const drafts = drive(new ExfilAnalyzer(), [httpRequest({ ts: LEARN + 10, src: "10.10.5.30", dst: "203.0.113.50", method: "POST", host: "paste.example", contentLength: 64 * MiB })], LEARN);
    expect(drafts.map((d) => `${d.src} ${d.dst} ${d.severity}`)).toEqual(["10.10.5.30 203.0.113.50 high"]);
    expect(drafts[0]?.summary).toContain("HTTP POST of 64 MiB");
  });

  it("stays quiet on busy IT traffic (browsing downloads, monitoring, a 3 GB nightly backup inside the zone)", () => {
    expect(drive(new ExfilAnalyzer(), [...busyItTraffic(T0, T0 + 2 * 3600 + 1800), ...plantNormalTraffic(T0, T0 + 2 * 3600 + 1800)], LEARN)).toEqual([]);
  });

  it("stays quiet on an outward transfer within ten times what learning showed for the pair", () => {
    const ev: EventBase[] = [];
    for (let i = 0; i < 12; i++) ev.push(...connection({ ts: T0 + i * 600, src: "10.20.0.20", dst: "10.10.3.3", dport: 1433, bytesToServer: 2 * MiB, bytesToClient: 5000 }));
    for (let i = 0; i < 12; i++) ev.push(...connection({ ts: LEARN + i * 600, src: "10.20.0.20", dst: "10.10.3.3", dport: 1433, bytesToServer: 3 * MiB, bytesToClient: 5000 }));
    const a = new ExfilAnalyzer();
    expect(drive(a, ev, LEARN)).toEqual([]);
    const b = new ExfilAnalyzer();
    b.importModel(JSON.parse(JSON.stringify(a.exportModel())));
    expect(drive(b, ev.filter((e) => e.ts >= LEARN), LEARN)).toEqual([]);
  });
});
