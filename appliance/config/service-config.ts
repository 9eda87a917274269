// Service configuration (issue 5 §1): one YAML file, /etc/otwatch/otwatch.yaml. It is the site config of
// src/config/site.ts (site, zones, conduits, learning) plus what the running service needs: capture interfaces with BPF
// filters, the state folder, sinks with credential FILES (never inline secrets), the HTTP API, the log level and the
// sensor-health thresholds. The site part is validated by parseSiteConfig, the rest here, both with field paths.

import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { ConfigError, parseSiteConfig, type SiteConfig } from "../../src/config/site.ts";
import { parseDuration } from "../../src/detect/engine.ts";
import { LOG_LEVELS, type LogLevel } from "../log.ts";

export const SITE_KEYS = ["site", "zones", "conduits", "learning"] as const;
export const DEFAULT_LEARNING = "7d";
export const DEFAULT_API_PORT = 8787;

const duration = z.string().regex(/^\d+(\.\d+)?\s*(ms|s|m|h|d|w)?$/, "must be a duration like 45s, 30m, 2h, 7d");
const absPath = z.string().regex(/^\//, "must be an absolute path");
const ifaceName = z.string().regex(/^[A-Za-z0-9_.:@-]{1,15}$/, "must be an interface name (1-15 letters, digits, '_.:@-')");
const byteSize = z.number().int().min(1024, "must be at least 1024 bytes");

const interfaceSchema = z.strictObject({
  name: ifaceName,
  /** BPF capture filter (tcpdump syntax). */
  filter: z.string().max(4096).optional(),
});

const influxSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: "must be an http(s):// URL" }),
  database: z.string().min(1).optional(),
  username: z.string().min(1).optional(),
  password_file: absPath.optional(),
  manage_schema: z.boolean().optional(),
  raw_retention: z.string().optional(),
  long_retention: z.string().optional(),
});

const mqttSchema = z.strictObject({
  url: z.url({ protocol: /^mqtts?$/, error: "must be an mqtt:// or mqtts:// URL" }),
  username: z.string().min(1).optional(),
  username_file: absPath.optional(),
  password_file: absPath.optional(),
  ca_file: absPath.optional(),
  cert_file: absPath.optional(),
  key_file: absPath.optional(),
});

const serviceSchema = z.strictObject({
  capture: z.strictObject({
    interfaces: z.array(interfaceSchema).min(1, "needs at least one interface"),
    /** tcpdump binary (the capability-holding copy installed under /opt/otwatch/bin). */
    tcpdump: z.string().min(1).optional(),
  }),
  state_dir: absPath.default("/var/lib/otwatch"),
  sinks: z.strictObject({
    influx: influxSchema.optional(),
    mqtt: mqttSchema.optional(),
    /** Bound of each sink's spool on disk. */
    spool_max_bytes: byteSize.optional(),
  }).default({}),
  api: z.strictObject({
    enabled: z.boolean().default(true),
    bind: z.union([z.ipv4(), z.ipv6()], { error: "must be an IP address (127.0.0.1 keeps the API local)" }).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(DEFAULT_API_PORT),
    token_file: absPath.default("/etc/otwatch/api-token"),
  }).default({ enabled: true, bind: "127.0.0.1", port: DEFAULT_API_PORT, token_file: "/etc/otwatch/api-token" }),
  log: z.strictObject({ level: z.enum(LOG_LEVELS).default("info") }).default({ level: "info" }),
  health: z.strictObject({
    /** No packet on an interface for this long → sensor.no-traffic. */
    no_traffic: duration.default("5m"),
    /** Capture drops above this percentage of received packets over a check window → sensor.capture-drops. */
    drops_percent: z.number().min(0).max(100).default(1),
    /** …and at least this many drops in the window (a few drops on a quiet link are noise). */
    drops_min: z.number().int().min(1).default(100),
    drops_window: duration.default("1m"),
  }).default({ no_traffic: "5m", drops_percent: 1, drops_min: 100, drops_window: "1m" }),
  state: z.strictObject({
    /** Baseline, inventory and mode saved this often (and at shutdown). */
    save_interval: duration.default("5m"),
  }).default({ save_interval: "5m" }),
});

type ServiceRaw = z.infer<typeof serviceSchema>;

export interface ServiceConfig {
  /** The file it came from. */
  readonly path: string;
  readonly site: SiteConfig;
  readonly learnSeconds: number;
  readonly interfaces: readonly { name: string; filter?: string | undefined }[];
  readonly tcpdump: string | undefined;
  readonly stateDir: string;
  readonly sinks: ServiceRaw["sinks"];
  readonly api: ServiceRaw["api"];
  readonly logLevel: LogLevel;
  readonly health: { noTrafficSeconds: number; dropsPercent: number; dropsMin: number; dropsWindowSeconds: number };
  readonly saveIntervalSeconds: number;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out === "" ? "(top level)" : out;
}

export function parseServiceConfig(text: string, name: string): ServiceConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    throw new ConfigError(`${name}: not valid YAML: ${err instanceof Error ? err.message.split("\n")[0] : String(err)}`);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError(`${name}: must be a YAML mapping`);
  const sitePart: Record<string, unknown> = {};
  const servicePart: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) ((SITE_KEYS as readonly string[]).includes(k) ? sitePart : servicePart)[k] = v;
  const errors: string[] = [];
  let site: SiteConfig | undefined;
  try {
    site = parseSiteConfig(JSON.stringify(sitePart), name);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    errors.push(err.message);
  }
  const r = serviceSchema.safeParse(servicePart);
  if (!r.success) {
    for (const i of r.error.issues) {
      const reason = i.code === "invalid_type" && i.message.endsWith("received undefined") ? "is required" : i.message;
      errors.push(`${name}: ${formatPath(i.path)}: ${reason}`);
    }
  }
  if (errors.length > 0 || site === undefined || !r.success) throw new ConfigError(errors.join("\n"));
  const s = r.data;
  const names = new Set<string>();
  s.capture.interfaces.forEach((i, n) => {
    if (names.has(i.name)) errors.push(`${name}: capture.interfaces[${n}].name: "${i.name}" is listed twice`);
    names.add(i.name);
  });
  if (errors.length > 0) throw new ConfigError(errors.join("\n"));
  return {
    path: name,
    site,
    learnSeconds: parseDuration(site.learning?.duration ?? DEFAULT_LEARNING),
    interfaces: s.capture.interfaces.map((i) => ({ name: i.name, ...(i.filter ? { filter: i.filter } : {}) })),
    tcpdump: s.capture.tcpdump,
    stateDir: s.state_dir,
    sinks: s.sinks,
    api: s.api,
    logLevel: s.log.level,
    health: {
      noTrafficSeconds: parseDuration(s.health.no_traffic),
      dropsPercent: s.health.drops_percent,
      dropsMin: s.health.drops_min,
      dropsWindowSeconds: parseDuration(s.health.drops_window),
    },
    saveIntervalSeconds: parseDuration(s.state.save_interval),
  };
}

export function loadServiceConfig(path: string): ServiceConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(`${path}: cannot read the config (${(err as NodeJS.ErrnoException).code ?? "read error"})`);
  }
  return parseServiceConfig(text, path);
}

/** What a SIGHUP reload cannot apply to a running service (each needs a restart): setting names, for the log. */
export function restartNeeded(a: ServiceConfig, b: ServiceConfig): string[] {
  const out: string[] = [];
  const same = (x: unknown, y: unknown): boolean => JSON.stringify(x) === JSON.stringify(y);
  if (!same(a.interfaces, b.interfaces) || a.tcpdump !== b.tcpdump) out.push("capture");
  if (a.stateDir !== b.stateDir) out.push("state_dir");
  if (!same(a.sinks, b.sinks)) out.push("sinks");
  // The token file is re-read at every reload; where the API listens needs a restart.
  if (!same({ ...a.api, token_file: "" }, { ...b.api, token_file: "" })) out.push("api");
  if (a.site.site !== b.site.site) out.push("site");
  if (a.learnSeconds !== b.learnSeconds || a.site.learning?.reemit !== b.site.learning?.reemit) out.push("learning");
  return out;
}
