// The service configuration: the shipped example parses with its defaults; errors name the field for both the site
// part and the service part at once; what a reload cannot apply is named.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../../test/helpers/shared.ts";
import { parseServiceConfig, restartNeeded } from "./service-config.ts";

const MIN = "site: p\ncapture:\n  interfaces:\n    - name: eth1\n";

describe("service config", () => {
  it("parses the shipped example", () => {
    const c = parseServiceConfig(readFileSync(join(repoRoot, "appliance/etc/otwatch.yaml"), "utf8"), "otwatch.yaml");
    expect(c).toMatchObject({ learnSeconds: 7 * 86_400, stateDir: "/var/lib/otwatch", logLevel: "info", interfaces: [{ name: "eth1" }] });
    expect(c.api).toEqual({ enabled: true, bind: "127.0.0.1", port: 8787, token_file: "/etc/otwatch/api-token" });
    expect(c.sinks.influx?.password_file).toBe("/etc/otwatch/influx-password");
    expect(c.site.zones.map((z) => z.name)).toEqual(["cell1", "scada", "office"]);
  });

  it("fills defaults for a minimal file", () => {
    const c = parseServiceConfig(MIN, "m.yaml");
    expect(c).toMatchObject({ saveIntervalSeconds: 300, health: { noTrafficSeconds: 300, dropsPercent: 1, dropsMin: 100, dropsWindowSeconds: 60 } });
    expect(c.sinks).toEqual({});
  });

  it("names every bad field, site and service parts together", () => {
    const bad = `site: p
zones:
  - {name: a, level: 9, cidrs: [10.0.0.0/8]}
capture:
  interfaces:
    - name: "eth 1"
    - {name: eth2, filter: 3}
state_dir: var/lib
api: {bind: everywhere, password: x}
sinks:
  mqtt: {url: "http://x", password: inline}
log: {level: loud}
`;
    let msg = "";
    try {
      parseServiceConfig(bad, "o.yaml");
    } catch (e) {
      msg = (e as Error).message;
    }
    for (const line of [
      "o.yaml: zones[0].level: must be a Purdue level 0-5",
      "o.yaml: capture.interfaces[0].name: must be an interface name",
      "o.yaml: capture.interfaces[1].filter:",
      "o.yaml: state_dir: must be an absolute path",
      "o.yaml: api.bind: must be an IP address",
      "o.yaml: api: Unrecognized key: \"password\"",
      "o.yaml: sinks.mqtt.url: must be an mqtt:// or mqtts:// URL",
      "o.yaml: sinks.mqtt: Unrecognized key: \"password\"",
      "o.yaml: log.level:",
    ]) expect(msg).toContain(line);
    expect(() => parseServiceConfig("site: p\ncapture: {interfaces: [{name: lo}, {name: lo}]}\n", "d.yaml")).toThrow('capture.interfaces[1].name: "lo" is listed twice');
    expect(() => parseServiceConfig("site: p\n", "e.yaml")).toThrow("e.yaml: capture: is required");
  });

  it("names what a reload cannot apply", () => {
    const a = parseServiceConfig(MIN, "a");
    expect(restartNeeded(a, parseServiceConfig(`${MIN}zones: [{name: z, level: 1, cidrs: [10.0.0.0/8]}]\nlog: {level: debug}\n`, "b"))).toEqual([]);
    expect(restartNeeded(a, parseServiceConfig(`${MIN}    - name: eth2\nstate_dir: /srv/otwatch\napi: {port: 9000}\n`, "c"))).toEqual(["capture", "state_dir", "api"]);
  });
});
