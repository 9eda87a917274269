// End-to-end golden test on the bundled, generated plant capture (issue 3 §8): `otwatch replay --config --learn
// --anomalies` through the real CLI, compared line by line with a committed golden file. Packet time drives everything,
// so the anomalies (kind, src, dst, severity, ts, summary, evidence …) are deterministic: any new, missing or changed
// anomaly fails here. After an intended change, regenerate with UPDATE_GOLDEN=1 and review the diff like code.
// Also checks the labelled attacks are all detected (src/dst inside each attack's window) and nothing else fires.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../helpers/shared.ts";

const demo = join(repoRoot, "appliance", "demo");
const golden = join(repoRoot, "test", "scenarios", "golden", "plant-demo.anomalies.jsonl");

interface Labels {
  learn_until_epoch: number;
  learn_until_offset_s: number;
  attacks: { id: string; start: number; end: number; attacker: string; targets: string[] }[];
}

interface Row {
  ts: string;
  kind: string;
  src: string;
  dst: string;
}

function inCidr(ip: string, spec: string): boolean {
  if (!spec.includes("/")) return ip === spec;
  const toInt = (s: string): number => s.split(".").reduce((n, p) => n * 256 + Number(p), 0);
  const [net, bits] = spec.split("/");
  const size = 2 ** (32 - Number(bits));
  return Math.floor(toInt(ip) / size) === Math.floor(toInt(net ?? "") / size);
}

describe("bundled plant capture, end to end (golden)", () => {
  const labels = JSON.parse(readFileSync(join(demo, "plant-demo.pcap.labels.json"), "utf8")) as Labels;
  const out = join(mkdtempSync(join(tmpdir(), "otwatch-golden-")), "anomalies.jsonl");
  execFileSync(
    process.execPath,
    [join(repoRoot, "bin/otwatch.js"), "replay", join(demo, "plant-demo.pcap"), "--config", join(demo, "site.yaml"),
      "--learn", `${Math.ceil(labels.learn_until_offset_s)}s`, "--anomalies", out, "-q"],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  const text = readFileSync(out, "utf8");
  if (process.env.UPDATE_GOLDEN === "1") writeFileSync(golden, text);
  const rows = text.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as Row);

  it("equals the golden anomalies, line by line", () => {
    const want = readFileSync(golden, "utf8").trim().split("\n");
    const got = text.trim().split("\n");
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(got[i], `line ${i + 1}`).toBe(want[i]);
  });

  it("detects every labelled attack with a matching src/dst, and raises nothing outside the attacks", () => {
    const matches = (r: Row, a: Labels["attacks"][number]): boolean => {
      const t = Date.parse(r.ts) / 1000;
      const hosts = [a.attacker, ...a.targets];
      return t >= a.start - 5 && t <= a.end + 120 && hosts.some((h) => inCidr(r.src, h) || inCidr(r.dst, h));
    };
    const missed = labels.attacks.filter((a) => !rows.some((r) => matches(r, a))).map((a) => a.id);
    expect(missed).toEqual([]);
    const unexplained = rows.filter((r) => Date.parse(r.ts) / 1000 > labels.learn_until_epoch && !labels.attacks.some((a) => matches(r, a)));
    expect(unexplained).toEqual([]);
    expect(rows.filter((r) => Date.parse(r.ts) / 1000 <= labels.learn_until_epoch)).toEqual([]);
  });

  it("names the attacks by what they are", () => {
    const kinds = new Set(rows.map((r) => r.kind));
    for (const k of ["modbus.write-out-of-range", "modbus.device-identification", "modbus.diagnostics", "modbus.loss-of-view",
      "modbus.new-function-code", "zone.it-to-ot", "net.port-scan", "opcua.write-new-node", "net.beacon"]) {
      expect(kinds, k).toContain(k);
    }
  });
});
