// Site config parsing and validation: the issue-3 example parses; each kind of mistake yields one line naming the
// field path and the reason, never a stack trace.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadSiteConfig, parseSiteConfig } from "./site.ts";

const GOOD = `
site: plant-a
zones:
  - { name: enterprise,  level: 4,   cidrs: [10.10.0.0/16] }
  - { name: dmz,         level: 3.5, cidrs: [10.20.0.0/24] }
  - { name: supervisory, level: 2,   cidrs: [192.168.10.0/24, "fd00:10::/64"] }
  - { name: control,     level: 1,   cidrs: [192.168.20.0/24] }
conduits:
  - { from: dmz, to: supervisory, service: opcua }
  - { from: enterprise, to: dmz, service: tcp/3389 }
learning: { duration: 45m }
`;

function errorOf(text: string): string {
  try {
    parseSiteConfig(text, "site.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).not.toMatch(/\n\s+at /); // no stack trace in the message
    return msg;
  }
  throw new Error("expected a ConfigError");
}

describe("parseSiteConfig", () => {
  it("accepts the issue's example shape, IPv6 CIDRs and port services", () => {
    const cfg = parseSiteConfig(GOOD, "site.yaml");
    expect(cfg.site).toBe("plant-a");
    expect(cfg.zones.map((z) => [z.name, z.level])).toEqual([["enterprise", 4], ["dmz", 3.5], ["supervisory", 2], ["control", 1]]);
    expect(cfg.zones[2]?.cidrs).toEqual(["192.168.10.0/24", "fd00:10::/64"]);
    expect(cfg.conduits[1]).toEqual({ from: "enterprise", to: "dmz", service: "tcp/3389" });
    expect(cfg.learning?.duration).toBe("45m");
  });

  it("accepts JSON and a config without conduits", () => {
    const cfg = parseSiteConfig(JSON.stringify({ site: "x", zones: [{ name: "ot", level: 1, cidrs: ["10.0.0.0/8"] }] }), "s.json");
    expect(cfg.conduits).toEqual([]);
  });

  it("names the path and the reason for a bad CIDR", () => {
    const text = GOOD.replace("192.168.20.0/24", "10.0.0.0/33");
    expect(errorOf(text)).toBe('site.yaml: zones[3].cidrs[0]: "10.0.0.0/33" is not a CIDR');
  });

  it("rejects bad levels, unknown services, undefined conduit zones, duplicates and unknown keys", () => {
    expect(errorOf(GOOD.replace("level: 3.5", "level: 3.7"))).toContain("zones[1].level: must be a whole level or 3.5");
    expect(errorOf(GOOD.replace("level: 4,", "level: 9,"))).toContain("zones[0].level: must be a Purdue level");
    expect(errorOf(GOOD.replace("service: opcua", "service: opcuax"))).toContain('conduits[0].service: "opcuax" is not a service');
    expect(errorOf(GOOD.replace("service: tcp/3389", "service: tcp/70000"))).toContain("conduits[1].service");
    expect(errorOf(GOOD.replace("{ from: dmz,", "{ from: dmzz,"))).toContain('conduits[0].from: "dmzz" is not a zone defined in zones');
    expect(errorOf(GOOD.replace("name: control", "name: dmz"))).toContain('zones[3].name: duplicate zone "dmz"');
    expect(errorOf(GOOD.replace("name: control", "name: internet"))).toContain('zones[3].name: "internet" is reserved');
    expect(errorOf(GOOD.replace("site: plant-a", "site: plant-a\ncolour: red"))).toMatch(/\(top level\): .*colour/);
    expect(errorOf(GOOD.replace("duration: 45m", "duration: soon"))).toContain("learning.duration: must be a duration");
  });

  it("reports missing fields, wrong types, broken YAML and empty files", () => {
    expect(errorOf("zones: []")).toBe("site.yaml: site: is required");
    expect(errorOf("site: a\nzones: {}")).toMatch(/^site.yaml: zones: /);
    expect(errorOf("site: a\nzones: [ {name: x, level: 1, cidrs: [}")).toMatch(/^site.yaml: not valid YAML\/JSON: /);
    expect(errorOf("")).toBe("site.yaml: the file is empty");
  });

  it("loadSiteConfig reads a file and reports an unreadable one cleanly", () => {
    const dir = mkdtempSync(join(tmpdir(), "otwatch-site-"));
    const path = join(dir, "site.yaml");
    writeFileSync(path, GOOD);
    expect(loadSiteConfig(path).zones).toHaveLength(4);
    expect(() => loadSiteConfig(join(dir, "missing.yaml"))).toThrow(/missing.yaml: cannot read the site config \(ENOENT\)/);
  });
});
