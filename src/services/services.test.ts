// The server launchers: influxd and mosquitto from Node on free loopback ports, ready when they answer, stopped by
// SIGTERM (process gone, port closed), restart keeps port and data; mosquitto with a password file refuses anonymous.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { removeTempDirs, tempDir } from "../../test/helpers/servers.ts";
import { portAccepts } from "./free-port.ts";
import { startInfluxd } from "./influxd.ts";
import { startMosquitto, writeMosquittoPasswordFile } from "./mosquitto.ts";

afterAll(removeTempDirs);

const alive = (pid: number | undefined): boolean => {
  try {
    process.kill(pid as number, 0);
    return true;
  } catch {
    return false;
  }
};

/** Listening TCP sockets of a pid as "addr:port" (from `ss`). */
function listening(pid: number | undefined): string[] {
  const out = execFileSync("ss", ["-Hltnp"], { encoding: "utf8" });
  return out.split("\n").filter((l) => l.includes(`pid=${pid},`)).map((l) => l.trim().split(/\s+/)[3] ?? "");
}

describe("startInfluxd / startMosquitto", () => {
  it("influxd: loopback only, /ping 204, data kept across restart, SIGTERM stops it", async () => {
    const dir = tempDir();
    const s = await startInfluxd({ dir });
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect((await fetch(`${s.url}/ping`)).status).toBe(204);
    const socks = listening(s.pid);
    expect(socks.length).toBeGreaterThanOrEqual(2);
    for (const a of socks) expect(a.startsWith("127.0.0.1:")).toBe(true);
    expect(readFileSync(join(dir, "influxd.conf"), "utf8")).toMatch(/reporting-enabled = false[\s\S]*store-enabled = false/);
    await fetch(`${s.url}/query?q=${encodeURIComponent("CREATE DATABASE keep")}`, { method: "POST" });
    const firstPid = s.pid;
    await s.restart();
    expect(s.pid).not.toBe(firstPid);
    const res = (await (await fetch(`${s.url}/query?q=SHOW%20DATABASES`)).json()) as { results: { series: { values: string[][] }[] }[] };
    expect(res.results[0]?.series[0]?.values.flat()).toContain("keep");
    const pid = s.pid;
    await s.stop();
    expect(alive(pid)).toBe(false);
    expect(await portAccepts(s.port)).toBe(false);
  });

  it("mosquitto: loopback listener, password file refuses anonymous clients, SIGTERM stops it", async () => {
    const dir = tempDir();
    const pw = join(dir, "passwd");
    await writeMosquittoPasswordFile(pw, "u1", "p1");
    const m = await startMosquitto({ dir, passwordFile: pw });
    for (const a of listening(m.pid)) expect(a.startsWith("127.0.0.1:")).toBe(true);
    await expect(connectAsync(m.url, { reconnectPeriod: 0, connectTimeout: 2000 })).rejects.toThrow(/Not authorized|Bad username/i);
    const ok = await connectAsync(m.url, { username: "u1", password: "p1", reconnectPeriod: 0 });
    expect(ok.connected).toBe(true);
    await ok.endAsync();
    const pid = m.pid;
    await m.stop();
    expect(alive(pid)).toBe(false);
    expect(await portAccepts(m.port)).toBe(false);
  });
});
