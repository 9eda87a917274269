// readCapture: files, stdin ("-", in a child node process fed through a pipe), progress, and clear errors.
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Counters } from "../core/counters.ts";
import { readCapture } from "./source.ts";
import { sharedPath, repoRoot } from "../../test/helpers/shared.ts";
import { ethIpv4Udp, writePcap } from "../../test/fixtures/capture-builder.ts";

const MODBUS = (): string => sharedPath("pcaps", "modbus", "ModbusTCP.pcap");

describe("readCapture", () => {
  it("reads a file and reports progress up to its size", async () => {
    const progress: Array<[number, number | undefined]> = [];
    let n = 0;
    let lastTs = 0;
    await readCapture(MODBUS(), (f) => ((n = f.index), (lastTs = f.ts)), new Counters(), { onProgress: (b, t) => progress.push([b, t]) });
    expect(n).toBe(15387);
    expect(Math.round(lastTs * 1e6)).toBe(1352718265222877);
    const size = readFileSync(MODBUS()).length;
    expect(progress[progress.length - 1]).toEqual([size, size]);
    expect(progress.every(([b, t], i) => t === size && b > (progress[i - 1]?.[0] ?? 0))).toBe(true);
  });

  it('reads stdin for "-"', () => {
    const code = [
      `const { readCapture } = await import(${JSON.stringify(join(repoRoot, "src/capture/source.ts"))});`,
      `const { Counters } = await import(${JSON.stringify(join(repoRoot, "src/core/counters.ts"))});`,
      `let n = 0, bytes = 0; const c = new Counters();`,
      `await readCapture("-", (f) => { n++; bytes += f.origLen; }, c, { onProgress: (b, t) => { if (t !== undefined) throw new Error("no total for stdin"); } });`,
      `console.log(JSON.stringify({ n, bytes, c: c.snapshot() }));`,
    ].join("\n");
    const r = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], { input: readFileSync(MODBUS()), encoding: "utf8", cwd: repoRoot });
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({ n: 15387, bytes: 1232392, c: {} });
  });

  it("rejects a missing file and a file that is no capture; a cut capture resolves with the cut counted", async () => {
    const dir = mkdtempSync(join(tmpdir(), "otwatch-src-"));
    try {
      await expect(readCapture(join(dir, "absent.pcap"), () => undefined, new Counters())).rejects.toThrow(/ENOENT/);
      writeFileSync(join(dir, "text.pcap"), "this is not a capture at all\n");
      await expect(readCapture(join(dir, "text.pcap"), () => undefined, new Counters())).rejects.toThrow(/not a pcap or pcapng/);
      const full = writePcap([1, 2, 3].map((i) => ({ data: ethIpv4Udp({ src: "10.0.0.1", dst: "10.0.0.2", sport: i, dport: 502 }) })));
      writeFileSync(join(dir, "cut.pcap"), full.subarray(0, full.length - 3));
      const c = new Counters();
      let n = 0;
      await readCapture(join(dir, "cut.pcap"), () => n++, c);
      expect([n, c.get("capture.truncated-record")]).toEqual([2, 1]);
      writeFileSync(join(dir, "empty.pcap"), "");
      await readCapture(join(dir, "empty.pcap"), () => n++, new Counters()); // empty input: no frames, no error
      expect(n).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
