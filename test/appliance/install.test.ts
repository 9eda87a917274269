// appliance/install.sh against a temporary root (issue 5 §3, §4): package installation and user creation are skipped
// by flags (--no-packages --no-user; npm ci --omit=dev runs for real). Checked: the tree and modes, the capability-
// holding tcpdump copy, the pre-built CLI bundle, idempotence (a second run leaves every path, mode, owner, checksum
// and capability as it was), `systemd-analyze verify` on the unit, the generated Mosquitto and InfluxDB configs on real
// servers (loopback, authentication, users), the installed copy running `otwatch run` as an unprivileged user (node
// without capabilities, tcpdump with them) on `lo`, and uninstall.
import { execFile, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { connectAsync } from "mqtt";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadServiceConfig } from "../../appliance/config/service-config.ts";
import { parseBaseline } from "../../src/detect/baseline-store.ts";
import { startChildServer, type ChildServer } from "../../src/services/child-server.ts";
import { freePort, portAccepts } from "../../src/services/free-port.ts";
import { repoRootDir } from "../helpers/servers.ts";
import { ModbusWireClient, startModbusServer } from "./modbus-wire.ts";
import { waitFor } from "./service-helpers.ts";

const run = promisify(execFile);
const R = mkdtempSync(join(tmpdir(), "otwatch-root-"));
chmodSync(R, 0o755); // the unprivileged run below must reach /opt/otwatch inside it
const work = mkdtempSync(join(tmpdir(), "otwatch-inst-"));
const servers: ChildServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.stop();
  rmSync(R, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

// A frozen copy of the checkout: other work on the live tree between the two runs must not look like non-idempotence.
const SRC = join(work, "src");
execFileSync("mkdir", ["-p", SRC]);
execFileSync("sh", ["-c", `tar -C '${repoRootDir}' -cf - bin src protocols appliance grafana package.json package-lock.json $(test -f '${repoRootDir}/README.md' && echo README.md) | tar -C '${SRC}' -xf -`]);
const INSTALL = join(SRC, "appliance", "install.sh");
const install = (...args: string[]) => run("bash", [INSTALL, "--root", R, "--no-user", "--no-packages", ...args], { maxBuffer: 1 << 24 });

/** Every path under the root with type, mode, owner, size, content hash, link target and file capabilities. */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = p.slice(R.length);
      const meta = `${(st.mode & 0o7777).toString(8)} ${st.uid}:${st.gid}`;
      if (st.isSymbolicLink()) out.push(`${rel} -> ${readlinkSync(p)} ${meta}`);
      else if (st.isDirectory()) {
        out.push(`${rel}/ ${meta}`);
        walk(p);
      } else out.push(`${rel} ${meta} ${createHash("sha256").update(readFileSync(p)).digest("hex")}`);
    }
  };
  walk(dir);
  out.push(`caps ${execFileSync("getcap", [join(dir, "opt/otwatch/bin/tcpdump")]).toString().replace(R, "")}`);
  return out;
}

const mode = (p: string): string => (lstatSync(join(R, p)).mode & 0o7777).toString(8);

describe("appliance/install.sh into a temporary root", () => {
  let first: string[];

  it("installs program, config, secrets, service configs and unit with safe permissions", async () => {
    const { stderr } = await install();
    expect(stderr).toContain("npm ci --omit=dev");
    expect(mode("etc/otwatch")).toBe("750");
    expect(mode("etc/otwatch/otwatch.yaml")).toBe("640");
    for (const f of ["api-token", "mqtt-password", "influx-password", "influx-admin-password", "grafana-influx-password", "grafana-mqtt-password"]) {
      expect(mode(`etc/otwatch/${f}`)).toBe("600");
      expect(readFileSync(join(R, "etc/otwatch", f), "utf8").trim()).toMatch(/^[A-Za-z0-9]{24,}$/);
    }
    expect(mode("var/lib/otwatch")).toBe("750");
    expect(mode("opt/otwatch/bin/tcpdump")).toBe("750");
    expect(execFileSync("getcap", [join(R, "opt/otwatch/bin/tcpdump")]).toString()).toContain("cap_net_admin,cap_net_raw=eip");
    expect(mode("etc/mosquitto/otwatch.passwd")).toBe("640");
    expect(readFileSync(join(R, "etc/mosquitto/otwatch.passwd"), "utf8")).toMatch(/^otwatch:\$7\$.*\ngrafana:\$7\$/);
    // Runtime needs no devDependency: only production packages are installed, tsx among them.
    const nm = readdirSync(join(R, "opt/otwatch/node_modules"));
    expect(nm).toEqual(expect.arrayContaining(["tsx", "hono", "zod", "mqtt", "influx", "yaml"]));
    for (const dev of ["vitest", "node-opcua", "modbus-serial", "typescript"]) expect(nm).not.toContain(dev);
    expect(existsSync(join(R, "opt/otwatch/appliance/api/app.test.ts"))).toBe(false);
    // The CLI bundle is pre-built (the service cannot write /opt/otwatch), readable by everyone.
    const dist = readdirSync(join(R, "opt/otwatch/dist"));
    expect(dist).toEqual([expect.stringMatching(/^[0-9a-f]{16}$/)]);
    expect(mode(`opt/otwatch/dist/${dist[0]}`)).toBe("755");
    expect(mode(`opt/otwatch/dist/${dist[0]}/cli.mjs`)).toBe("644");
    // The example configuration is valid as shipped.
    expect(loadServiceConfig(join(R, "etc/otwatch/otwatch.yaml")).interfaces).toEqual([{ name: "eth1" }]);
    first = snapshot(R);
  });

  it("changes nothing when run a second time", async () => {
    const { stderr } = await install();
    expect(stderr).not.toContain("generated");
    expect(stderr).not.toContain("npm ci");
    expect(snapshot(R)).toEqual(first);
  });

  it("writes a unit that systemd-analyze verify accepts (and a broken copy it does not)", async () => {
    const unit = join(R, "etc/systemd/system/otwatch.service");
    const text = readFileSync(unit, "utf8");
    for (const k of ["User=otwatch", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "ReadWritePaths=/var/lib/otwatch", "Restart=on-failure",
      "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN", "NoExecPaths=/", "IPAddressDeny=any", "ExecReload=/bin/kill -HUP $MAINPID"]) expect(text).toContain(k);
    expect(text).toMatch(/^ExecPaths=\/\S*node \/opt\/otwatch\/bin\/tcpdump \/opt\/otwatch\/node_modules\/@esbuild \//m);
    expect(text).not.toMatch(/@NODE@|@EXEC_PATHS@/);
    // No systemd is booted here (PID 1 is not systemd): `verify` still parses every directive, resolves ExecStart's binary
    // and reports unknown keys or bad values on stderr (its exit code stays 0 for those, so stderr is what is checked).
    const ok = await run("systemd-analyze", ["verify", unit]);
    expect(ok.stderr).toBe("");
    const bad = join(work, "otwatch.service");
    writeFileSync(bad, text.replace("ProtectSystem=strict", "ProtectSystem=strictly").replace("Restart=on-failure", "Restartt=on-failure"));
    const broken = await run("systemd-analyze", ["verify", bad]);
    expect(broken.stderr).toContain("Failed to parse protect system value");
    expect(broken.stderr).toContain("Unknown key 'Restartt' in section [Service]");
  });

  it("executes nothing outside the unit's ExecPaths= (strace of the installed copy: bundle, and tsx with a cold cache)", async () => {
    const unit = readFileSync(join(R, "etc/systemd/system/otwatch.service"), "utf8");
    const allowed = (/^ExecPaths=(.*)$/m.exec(unit)?.[1] ?? "").split(" ").map((p) => p.replace(/^\/opt\/otwatch/, join(R, "opt/otwatch")));
    const executed = async (env: Record<string, string>): Promise<string[]> => {
      const tmp = mkdtempSync(join(tmpdir(), "otwatch-tsxcache-"));
      const trace = join(work, "execve.txt");
      const { OTWATCH_NO_BUNDLE: _, OTWATCH_DIST_DIR: __, ...base } = process.env;
      await run("strace", ["-f", "-e", "trace=execve", "-o", trace, process.execPath, join(R, "opt/otwatch/bin/otwatch.js"), "run", "--check", "--config", join(R, "etc/otwatch/otwatch.yaml")], { env: { ...base, TMPDIR: tmp, ...env } });
      rmSync(tmp, { recursive: true, force: true });
      return [...readFileSync(trace, "utf8").matchAll(/execve\("([^"]+)".*\) = 0$/gm)].map((m) => m[1] as string);
    };
    const bundled = await executed({});
    expect(bundled.some((p) => p.includes("@esbuild"))).toBe(false); // the pre-built bundle needs no transpiler
    const tsx = await executed({ OTWATCH_NO_BUNDLE: "1" });
    expect(tsx.some((p) => p.includes("@esbuild"))).toBe(true); // the fallback: tsx transpiles with the esbuild binary
    for (const p of [...bundled, ...tsx]) expect(allowed.some((a) => p === a || p.startsWith(`${a}/`)), p).toBe(true);
  });

  it("configures Mosquitto on loopback with authentication and topic ACLs", async () => {
    const port = await freePort();
    const conf = join(work, "mosquitto.conf");
    writeFileSync(conf, `user root\npersistence false\nlog_dest stderr\n` + readFileSync(join(R, "etc/mosquitto/conf.d/otwatch.conf"), "utf8")
      .replace("listener 1883 127.0.0.1", `listener ${port} 127.0.0.1`).replaceAll("/etc/mosquitto/", `${R}/etc/mosquitto/`));
    servers.push(await startChildServer("mosquitto", "mosquitto", ["-c", conf], () => portAccepts(port)));
    const url = `mqtt://127.0.0.1:${port}`;
    const anon = await connectAsync(url, { reconnectPeriod: 0, connectTimeout: 2000 }).then(() => "connected", (e: Error) => e.message);
    expect(anon).toMatch(/Not authorized|Bad username or password/i);
    const secret = (f: string) => readFileSync(join(R, "etc/otwatch", f), "utf8").trim();
    const grafana = await connectAsync(url, { username: "grafana", password: secret("grafana-mqtt-password"), reconnectPeriod: 0 });
    const got: string[] = [];
    grafana.on("message", (t, p) => got.push(`${t} ${p.toString()}`));
    await grafana.subscribeAsync("otwatch/#", { qos: 1 });
    await grafana.publishAsync("otwatch/plant1/anomalies/high/x", "from grafana", { qos: 0 });
    const sensor = await connectAsync(url, { username: "otwatch", password: secret("mqtt-password"), reconnectPeriod: 0 });
    await sensor.publishAsync("otwatch/plant1/status", "online", { qos: 1 });
    await waitFor("message relayed to grafana", () => got.length > 0);
    await new Promise((r) => setTimeout(r, 200));
    expect(got).toEqual(["otwatch/plant1/status online"]); // grafana may read, not publish
    await grafana.endAsync();
    await sensor.endAsync();
  });

  it("configures InfluxDB on loopback with authentication; influx-users.sh creates admin, otwatch and read-only grafana", async () => {
    const port = await freePort();
    const rpc = await freePort();
    const conf = join(work, "influxdb.conf");
    writeFileSync(conf, readFileSync(join(R, "etc/influxdb/influxdb.conf"), "utf8").replaceAll("/var/lib/influxdb", join(work, "influxdb"))
      .replace("127.0.0.1:8086", `127.0.0.1:${port}`).replace("127.0.0.1:8088", `127.0.0.1:${rpc}`));
    const url = `http://127.0.0.1:${port}`;
    servers.push(await startChildServer("influxd", "influxd", ["run", "-config", conf], async () => (await fetch(`${url}/ping`).catch(() => undefined))?.status === 204));
    const users = join(SRC, "appliance", "influx-users.sh");
    await run("bash", [users, url, join(R, "etc/otwatch")]);
    await run("bash", [users, url, join(R, "etc/otwatch")]); // idempotent
    const query = async (q: string, user?: string, file?: string) => {
      const headers: Record<string, string> = {};
      if (user && file) headers.Authorization = `Basic ${Buffer.from(`${user}:${readFileSync(join(R, "etc/otwatch", file), "utf8").trim()}`).toString("base64")}`;
      const r = await fetch(`${url}/query?q=${encodeURIComponent(q)}`, { method: "POST", headers });
      return { status: r.status, body: await r.text() };
    };
    expect((await query("SHOW DATABASES")).status).toBe(401);
    expect((await query("CREATE DATABASE otwatch_probe", "otwatch", "influx-password")).body).not.toContain("error");
    expect((await query("SHOW DATABASES", "grafana", "grafana-influx-password")).body).toContain("otwatch");
    expect((await query("CREATE DATABASE nope", "grafana", "grafana-influx-password")).body).toContain("requires admin privilege");
  });

  it("runs the installed copy as an unprivileged user: node holds no capability, tcpdump captures on lo", async () => {
    // nobody/nogroup stands in for the otwatch user (not created under --no-user): the tcpdump copy goes to its group.
    const tcpdump = join(R, "opt/otwatch/bin/tcpdump");
    execFileSync("chgrp", ["nogroup", tcpdump]);
    execFileSync("setcap", ["cap_net_raw,cap_net_admin=eip", tcpdump]); // chgrp clears file capabilities
    const home = mkdtempSync(join(tmpdir(), "otwatch-nobody-"));
    const token = "installed-copy-token-0123456789";
    writeFileSync(join(home, "api-token"), token, { mode: 0o600 });
    const cfgPath = join(home, "otwatch.yaml");
    writeFileSync(cfgPath, stringify({
      site: "installed",
      learning: { duration: "1h" },
      capture: { interfaces: [{ name: "lo", filter: "net 127.205.3.0/24 and tcp port 15504" }], tcpdump },
      state_dir: join(home, "state"),
      api: { port: 0, token_file: join(home, "api-token") },
    }));
    execFileSync("chown", ["-R", "nobody:nogroup", home]);
    chmodSync(home, 0o700);
    const child = spawn("setpriv", ["--reuid=nobody", "--regid=nogroup", "--init-groups", "--inh-caps=-all", process.execPath, join(R, "opt/otwatch/bin/otwatch.js"), "run", "--config", cfgPath],
      { cwd: home, stdio: ["ignore", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: home } });
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
    child.stderr.setEncoding("utf8").on("data", (t: string) => (out += t));
    const exit = new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    const server = await startModbusServer("127.205.3.10", 15504);
    try {
      const port = await waitFor("API listening", () => Number(/"msg":"API listening".*"port":(\d+)/.exec(out)?.[1] ?? 0) || (child.exitCode !== null ? Promise.reject(new Error(out)) : undefined), 20_000);
      const capEff = (pid: number) => /CapEff:\s*([0-9a-f]+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
      const node = child.pid as number; // setpriv execs node in place
      expect(readFileSync(`/proc/${node}/status`, "utf8")).toMatch(/Uid:\s+65534\s/);
      expect(capEff(node)).toBe("0000000000000000");
      const tcpdumpPid = Number(execFileSync("pgrep", ["-P", String(node), "tcpdump"]).toString().trim());
      expect(BigInt(`0x${capEff(tcpdumpPid)}`) & (1n << 13n)).toBe(1n << 13n); // CAP_NET_RAW = 13
      expect(readFileSync(`/proc/${tcpdumpPid}/status`, "utf8")).toMatch(/Uid:\s+65534\s/);

      const client = await ModbusWireClient.connect("127.205.3.10", 15504, "127.205.3.20");
      for (let i = 0; i < 5; i++) await client.readHolding(0, 4);
      await client.close();
      const headers = { Authorization: `Bearer ${token}` };
      const assets = await waitFor("hosts in /assets", async () => {
        const a = (await (await fetch(`http://127.0.0.1:${port}/assets`, { headers })).json()) as { items: { ip: string }[] };
        return a.items.length >= 2 ? a.items.map((x) => x.ip).sort() : undefined;
      });
      expect(assets).toEqual(["127.205.3.10", "127.205.3.20"]);
      child.kill("SIGTERM");
      expect(await exit).toBe(0);
      expect(JSON.stringify(parseBaseline(readFileSync(join(home, "state/baseline.json"), "utf8"), "baseline").models)).toContain("127.205.3.10");
      expect(lstatSync(join(home, "state/baseline.json")).uid).toBe(65534);
      expect((lstatSync(join(home, "state/baseline.json")).mode & 0o777).toString(8)).toBe("640");
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(home, { recursive: true, force: true });
    }
  });

  it("uninstalls: program, unit and service configs go, configuration and state stay unless --purge", async () => {
    await install("--uninstall");
    for (const p of ["opt/otwatch", "etc/systemd/system/otwatch.service", "etc/mosquitto/conf.d/otwatch.conf", "etc/mosquitto/otwatch.passwd", "usr/local/bin/otwatch", "etc/influxdb/influxdb.conf"]) {
      expect(existsSync(join(R, p))).toBe(false);
    }
    expect(existsSync(join(R, "etc/otwatch/api-token"))).toBe(true);
    expect(existsSync(join(R, "var/lib/otwatch"))).toBe(true);
    await install("--uninstall", "--purge");
    expect(existsSync(join(R, "etc/otwatch"))).toBe(false);
    expect(existsSync(join(R, "var/lib/otwatch"))).toBe(false);
  });
});
