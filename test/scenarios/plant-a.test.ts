// Judges detection on the labelled development scenario in ../shared/scenarios (issue 3 §7) through the real CLI path
// (`otwatch replay --config --learn --anomalies`) and the scenario's own scorer: every labelled attack detected with a
// matching src/dst, and at most one false positive per day of normal traffic after learning (on a test period of under
// an hour that means none). Run with and without the site configuration: zones must not be required to detect.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot, sharedPath } from "../helpers/shared.ts";

interface Score {
  attacks: number;
  detected: number;
  false_positives: number;
  test_period_hours: number;
  false_positive_kinds: Record<string, number>;
  per_attack: { id: string; detected: boolean }[];
}

type Result = { score: Score; anomalies: { kind: string; src: string; dst: string }[] };
const cache = new Map<string, Result>();

function replayAndScore(name: string, withConfig: boolean): Result {
  const key = `${name} ${withConfig}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const dir = mkdtempSync(join(tmpdir(), "otwatch-scenario-"));
  const pcap = sharedPath("scenarios", `${name}.pcap`);
  const labelsPath = `${pcap}.labels.json`;
  const labels = JSON.parse(readFileSync(labelsPath, "utf8")) as { learn_until_offset_s: number };
  const out = join(dir, "anomalies.jsonl");
  const args = [join(repoRoot, "bin/otwatch.js"), "replay", pcap, "--learn", `${Math.ceil(labels.learn_until_offset_s)}s`, "--anomalies", out, "-q"];
  if (withConfig) args.push("--config", sharedPath("scenarios", "site.yaml"));
  execFileSync(process.execPath, args, { stdio: ["ignore", "ignore", "inherit"] });
  const json = execFileSync(process.execPath, [sharedPath("scenarios", "score.mjs"), labelsPath, out, "--json"], { encoding: "utf8" });
  const anomalies = readFileSync(out, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l) as { kind: string; src: string; dst: string });
  // The scorer prints its JSON report, then its plain closing line.
  const result = { score: JSON.parse(json.slice(0, json.lastIndexOf("}") + 1)) as Score, anomalies };
  cache.set(key, result);
  return result;
}

describe("plant-a scenario (labelled, ../shared/scenarios)", () => {
  for (const withConfig of [true, false]) {
    const label = withConfig ? "with site.yaml" : "without a site config";
    it(`detects every labelled attack ${label}`, () => {
      const { score } = replayAndScore("plant-a-attacks", withConfig);
      const missed = score.per_attack.filter((a) => !a.detected).map((a) => a.id);
      expect(missed).toEqual([]);
      expect(score.detected).toBe(score.attacks);
      expect(score.attacks).toBeGreaterThanOrEqual(9);
      // ≤ 1 false positive per day of test period.
      expect(score.false_positives, JSON.stringify(score.false_positive_kinds)).toBeLessThanOrEqual(Math.floor(score.test_period_hours / 24));
    });

    it(`stays quiet on a normal day ${label}`, () => {
      const { score, anomalies } = replayAndScore("plant-a-normal", withConfig);
      expect(score.false_positives, JSON.stringify(anomalies)).toBeLessThanOrEqual(Math.floor(score.test_period_hours / 24));
    });
  }

  it("names the right kinds for the OT attacks", () => {
    const { anomalies } = replayAndScore("plant-a-attacks", true);
    const kinds = new Set(anomalies.map((a) => `${a.kind} ${a.src}>${a.dst}`));
    // Kinds and endpoints, not thresholds: the labels say who attacked whom with what.
    expect([...kinds].some((k) => k.startsWith("modbus.write-out-of-range "))).toBe(true);
    expect([...kinds].some((k) => k.startsWith("zone.it-to-ot "))).toBe(true);
    expect([...kinds].some((k) => k.startsWith("opcua.write-new-node "))).toBe(true);
    expect([...kinds].some((k) => k.startsWith("modbus.device-identification "))).toBe(true);
    expect([...kinds].some((k) => k.startsWith("modbus.loss-of-view "))).toBe(true);
    expect([...kinds].some((k) => k.startsWith("dns.tunnel "))).toBe(true);
    expect([...kinds].some((k) => k.startsWith("net.beacon "))).toBe(true);
    expect([...kinds].some((k) => k.startsWith("net.port-scan "))).toBe(true);
  });
});
