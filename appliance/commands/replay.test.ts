// `otwatch replay` end to end on a real capture: the CLI as a user runs it (bin/otwatch.js), JSONL lines with ISO µs
// packet-time stamps, flows matching tshark's TCP conversations, the summary (text and JSON) matching capinfos.
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { repoRoot, sharedPath } from "../../test/helpers/shared.ts";
import { isoTs } from "../../src/output/jsonl.ts";
import { runReplay, type EventConsumer } from "./replay.ts";
import type { EventBase } from "../../src/core/types.ts";

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), "otwatch-replay-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PCAP = () => sharedPath("pcaps", "modbus", "ModbusTCP.pcap");
const REF = () => sharedPath("pcaps", "ref", "modbus", "ModbusTCP.modbus.tshark-4.0.17.tsv");
const ISO_US = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** Client ports of the TCP conversations tshark shows Modbus in (the side that is not 502). */
function tsharkClientPorts(): number[] {
  const [header, ...rows] = readFileSync(REF(), "utf8").trim().split("\n");
  const cols = (header ?? "").split("\t");
  const sp = cols.indexOf("tcp.srcport");
  const dp = cols.indexOf("tcp.dstport");
  const ports = new Set<number>();
  for (const r of rows) {
    const f = r.split("\t");
    const s = Number(f[sp]);
    const d = Number(f[dp]);
    ports.add(s === 502 ? d : s);
  }
  return [...ports].sort((a, b) => a - b);
}

describe("isoTs", () => {
  it("renders packet time as ISO 8601 UTC with microseconds", () => {
    expect(isoTs(1748933201.10378)).toBe("2025-06-03T06:46:41.103780Z");
    expect(isoTs(0)).toBe("1970-01-01T00:00:00.000000Z");
    expect(isoTs(1352718180.9999996)).toBe("2012-11-12T11:03:01.000000Z");
  });
});

describe("otwatch replay", () => {
  it("writes JSONL events and a summary for ModbusTCP.pcap through the real CLI", async () => {
    const out = join(dir, "events.jsonl");
    const sum = join(dir, "summary.json");
    const res = await run(process.execPath, [join(repoRoot, "bin", "otwatch.js"), "replay", PCAP(), "--events", out, "--summary-json", sum], {
      cwd: repoRoot,
    });
    // Not a terminal: no progress bar, the summary only.
    expect(res.stderr).not.toContain("\r");
    expect(res.stderr).toContain("packets 15387");
    const lines = readFileSync(out, "utf8").trim().split("\n");
    const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const e of events) {
      expect(e.ts).toMatch(ISO_US);
      expect(typeof e.flow).toBe("string");
      expect(typeof e.src).toBe("string");
      expect(typeof e.sport).toBe("number");
    }
    const starts = events.filter((e) => e.type === "flow.start");
    const ends = events.filter((e) => e.type === "flow.end");
    expect(starts.map((e) => e.sport).sort((a, b) => Number(a) - Number(b))).toEqual(tsharkClientPorts());
    expect(ends).toHaveLength(starts.length);
    for (const e of starts) expect(e).toMatchObject({ transport: "tcp", service: "modbus", src: "141.81.0.10", dport: 502 });
    // capinfos: first packet 2012-11-12 11:03:00.264365, last 11:04:25.222877 (the eof of the flows still open).
    expect(starts[0]).toMatchObject({ ts: "2012-11-12T11:03:00.264365Z", frame: 1, flow: "F0", src: "141.81.0.10", sport: 57184 });
    expect(ends.filter((e) => e.reason === "eof").every((e) => e.ts === "2012-11-12T11:04:25.222877Z")).toBe(true);
    expect(ends.every((e) => typeof e.startTs === "string" && ISO_US.test(e.startTs))).toBe(true);
    expect(events.filter((e) => e.type === "modbus").length).toBeGreaterThan(7000);
    const summary = JSON.parse(readFileSync(sum, "utf8")) as Record<string, unknown>;
    expect(summary).toMatchObject({ packets: 15387, bytes: 1232392, flows: 14, firstTs: "2012-11-12T11:03:00.264365Z", lastTs: "2012-11-12T11:04:25.222877Z" });
    expect((summary.events as Record<string, number>)["flow.start"]).toBe(14);
    expect((summary.counters as Record<string, number>)["internal.modbus.exception"]).toBeUndefined();
  });

  it("runReplay feeds extra consumers and closes them after the last event", async () => {
    const seen: string[] = [];
    let closedAfter = -1;
    const consumer: EventConsumer = {
      onEvent: (e: EventBase) => void seen.push(e.type),
      close: () => {
        closedAfter = seen.length;
      },
    };
    const { summary } = await runReplay({ source: PCAP(), quiet: true, consumers: [consumer] });
    expect(seen.length).toBe(Object.values(summary.events).reduce((a, b) => a + b, 0));
    expect(closedAfter).toBe(seen.length);
    expect(seen[seen.length - 1]).toBe("flow.end");
  });

  it("prints help and rejects bad command lines with exit code 2", async () => {
    const bin = join(repoRoot, "bin", "otwatch.js");
    const help = await run(process.execPath, [bin, "--help"], { cwd: repoRoot });
    expect(help.stdout).toContain("replay");
    const err = await run(process.execPath, [bin, "replay"], { cwd: repoRoot }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toContain("usage: otwatch replay");
  });
});
