// InfluxDB sink (issue 4 §1, §3, §6) over InfluxDB's 1.x HTTP API: at start it creates (with the `influx` package) the
// database, the retention policies RP_RAW (default, raw window aggregates) and RP_LONG, and the continuous queries that
// downsample into RP_LONG (schema.ts). Points are turned into line protocol once, at write(); the lines go through the
// persistent spool and are POSTed to /write in order, in batches of up to `maxBatch` points, precision "u" (writing the
// spooled lines directly doubles the rate compared with re-serialising point objects). A failed write is retried with
// backoff; what InfluxDB refuses as invalid (HTTP 400: field type conflict, beyond retention) is dropped and counted.
// InfluxDB 2.x: same code through its 1.x compatibility API with `manageSchema: false` (see src/sinks/README.md).
import { readFileSync } from "node:fs";
import { InfluxDB } from "influx";
import {
  DEFAULT_DATABASE,
  RP_LONG,
  RP_LONG_DURATION,
  RP_RAW,
  RP_RAW_DURATION,
  continuousQueries,
  type MetricPoint,
} from "../metrics/schema.ts";
import { DeliveryQueue, RejectedError, type SinkCounters } from "./delivery.ts";
import { Spool, type SpoolRecord } from "./spool.ts";

export const INFLUX_MAX_BATCH = 5000;
export const INFLUX_REQUEST_TIMEOUT_MS = 10_000;

export interface InfluxSinkOptions {
  /** http(s)://[user[:password]@]host:port[/database] */
  url: string;
  /** Overrides the URL path; default DEFAULT_DATABASE. */
  database?: string;
  username?: string;
  /** Password (InfluxDB 2.x: an API token). Prefer passwordFile: URLs and arguments end up in process listings. */
  password?: string;
  passwordFile?: string;
  /** Tags added to every point (e.g. { site: "plant1" } when several sensors share a database); bounded values only. */
  tags?: Readonly<Record<string, string>>;
  /** Create database, retention policies and continuous queries (InfluxDB 1.x). False for 2.x (no CQs, DBRP by hand). */
  manageSchema?: boolean;
  rawDuration?: string;
  longDuration?: string;
  /** Spool folder (created); reusing it after a restart delivers what was left. */
  spoolDir: string;
  spoolMaxBytes?: number;
  fsyncIntervalMs?: number;
  maxBatch?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  log?: (msg: string) => void;
}

export interface InfluxTarget {
  protocol: "http" | "https";
  host: string;
  port: number;
  database: string;
  username: string | undefined;
  password: string | undefined;
}

/** Parses the --influx URL; credentials from the options win over the URL's, passwordFile over password. */
export function resolveInfluxTarget(o: Pick<InfluxSinkOptions, "url" | "database" | "username" | "password" | "passwordFile">): InfluxTarget {
  const u = new URL(o.url);
  const protocol = u.protocol === "https:" ? "https" : "http";
  const port = u.port ? Number(u.port) : protocol === "https" ? 443 : 8086;
  const fromPath = decodeURIComponent(u.pathname.replace(/^\/+|\/+$/g, ""));
  let password = o.password ?? (u.password ? decodeURIComponent(u.password) : undefined);
  if (o.passwordFile) password = readFileSync(o.passwordFile, "utf8").trim();
  const username = o.username ?? (u.username ? decodeURIComponent(u.username) : undefined);
  return { protocol, host: u.hostname, port, database: o.database ?? (fromPath || DEFAULT_DATABASE), username, password };
}

/** The URL without credentials, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "(invalid url)";
  }
}

// Line-protocol escaping; the regex test first because almost no key or value needs escaping. InfluxDB 1.x has no escape
// for a backslash in keys and tag values (one before a separator would escape it), so a backslash there becomes "/".
const KEY_SPECIAL = /[,= \\\n\r]/;
const MEAS_SPECIAL = /[, \\\n\r]/;
const STR_SPECIAL = /["\\\n\r]/;
const escKey = (s: string): string => (KEY_SPECIAL.test(s) ? s.replace(/[\n\r]/g, " ").replace(/\\/g, "/").replace(/[,= ]/g, "\\$&") : s);
const escMeasurement = (s: string): string => (MEAS_SPECIAL.test(s) ? s.replace(/[\n\r]/g, " ").replace(/\\/g, "/").replace(/[, ]/g, "\\$&") : s);
const escString = (s: string): string => `"${STR_SPECIAL.test(s) ? s.replace(/[\n\r]/g, " ").replace(/["\\]/g, "\\$&") : s}"`;

/**
 * MetricPoint → one line of InfluxDB line protocol (timestamp in µs). Numbers are floats (no `i` suffix), non-finite
 * numbers are left out, empty tag values become "none"; undefined when no field is left.
 */
export function toLineProtocol(p: MetricPoint, extraTags?: Readonly<Record<string, string>>): string | undefined {
  let fields = "";
  for (const [k, v] of Object.entries(p.fields)) {
    let value: string;
    if (typeof v === "number") {
      if (!Number.isFinite(v)) continue;
      value = String(v);
    } else value = escString(v);
    fields += `${fields ? "," : ""}${escKey(k)}=${value}`;
  }
  if (!fields) return undefined;
  let line = escMeasurement(p.measurement);
  const tags = extraTags ? { ...extraTags, ...p.tags } : p.tags;
  const keys = Object.keys(tags);
  if (keys.length > 1) keys.sort(); // InfluxDB's preferred order (cheaper indexing)
  for (const k of keys) line += `,${escKey(k)}=${escKey(tags[k] || "none")}`;
  return `${line} ${fields} ${Math.round(p.time)}`;
}

export class InfluxSink {
  readonly database: string;
  private readonly client: InfluxDB;
  private readonly writeUrl: string;
  private readonly auth: string | undefined;
  private readonly queue: DeliveryQueue;
  private schemaReady: boolean;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: InfluxSinkOptions) {
    const t = resolveInfluxTarget(opts);
    this.database = t.database;
    this.log = opts.log ?? ((m) => console.error(m));
    this.schemaReady = opts.manageSchema === false;
    this.writeUrl = `${t.protocol}://${t.host.includes(":") ? `[${t.host}]` : t.host}:${t.port}/write?db=${encodeURIComponent(t.database)}&precision=u`;
    this.auth = t.username !== undefined || t.password !== undefined
      ? `Basic ${Buffer.from(`${t.username ?? ""}:${t.password ?? ""}`).toString("base64")}`
      : undefined;
    this.client = new InfluxDB({
      hosts: [{ host: t.host, port: t.port, protocol: t.protocol }],
      database: t.database,
      username: t.username,
      password: t.password ?? "",
      // Retries and backoff are ours (spool + DeliveryQueue); the package must fail fast.
      pool: { maxRetries: 0, requestTimeout: INFLUX_REQUEST_TIMEOUT_MS },
    });
    const spool = new Spool(opts.spoolDir, {
      maxBytes: opts.spoolMaxBytes,
      fsyncIntervalMs: opts.fsyncIntervalMs,
      log: this.log,
    });
    this.queue = new DeliveryQueue({
      name: `influx ${redactUrl(opts.url)}`,
      spool,
      deliver: (records) => this.deliver(records),
      maxBatch: opts.maxBatch ?? INFLUX_MAX_BATCH,
      log: this.log,
      backoffMinMs: opts.backoffMinMs,
      backoffMaxMs: opts.backoffMaxMs,
    });
    this.queue.kick();
  }

  /** Queues points (on disk when this returns); delivery is asynchronous and in order. */
  write(points: readonly MetricPoint[]): void {
    const lines: string[] = [];
    for (const p of points) {
      const line = toLineProtocol(p, this.opts.tags);
      if (line !== undefined) lines.push(line);
    }
    this.queue.push(lines);
  }

  counters(): SinkCounters {
    return this.queue.counters();
  }

  /** Resolves true once everything written so far is in InfluxDB, false if `timeoutMs` passed first. */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.queue.flush(timeoutMs);
  }

  /** Stops delivering; undelivered points stay in the spool for the next start. */
  close(): Promise<void> {
    return this.queue.close();
  }

  /** Creates (or aligns) database, retention policies and continuous queries. Idempotent. */
  async ensureSchema(): Promise<void> {
    const db = this.database;
    await this.client.createDatabase(db);
    const rps = [
      { name: RP_RAW, duration: this.opts.rawDuration ?? RP_RAW_DURATION, isDefault: true },
      { name: RP_LONG, duration: this.opts.longDuration ?? RP_LONG_DURATION, isDefault: false },
    ];
    const existing = new Set((await this.client.showRetentionPolicies(db)).map((r) => r.name));
    for (const rp of rps) {
      const o = { database: db, duration: rp.duration, replication: 1, isDefault: rp.isDefault };
      if (existing.has(rp.name)) await this.client.alterRetentionPolicy(rp.name, o);
      else await this.client.createRetentionPolicy(rp.name, o);
    }
    const cqs = await this.client.showContinousQueries(db);
    const have = new Set(cqs.map((r) => String(r.name)));
    // Recreated at every start so a changed schema takes effect; a CQ holds no data of its own.
    for (const cq of continuousQueries(db)) {
      if (have.has(cq.name)) await this.client.dropContinuousQuery(cq.name, db);
      await this.client.createContinuousQuery(cq.name, cq.query, db, cq.resample);
    }
  }

  /**
   * Runs the downsampling queries once over all data already written (continuous queries only look at the last 2 h of
   * wall-clock time, so a replay of an old capture never reaches RP_LONG through them). Call after flush().
   */
  async downsampleAll(): Promise<void> {
    for (const cq of continuousQueries(this.database)) {
      const [select, groupBy] = cq.query.split(" GROUP BY ");
      await this.client.query(`${select} WHERE time > 0 GROUP BY ${groupBy}`);
    }
  }

  private async deliver(records: readonly SpoolRecord[]): Promise<number> {
    if (!this.schemaReady) {
      await this.ensureSchema();
      this.schemaReady = true;
    }
    let body = "";
    for (const r of records) for (const line of r.items) body += `${body ? "\n" : ""}${String(line)}`;
    if (!body) return records.length;
    const headers: Record<string, string> = { "content-type": "text/plain; charset=utf-8" };
    if (this.auth) headers.authorization = this.auth;
    const res = await fetch(this.writeUrl, { method: "POST", body, headers, signal: AbortSignal.timeout(INFLUX_REQUEST_TIMEOUT_MS) });
    if (res.status === 204 || res.status === 200) {
      await res.body?.cancel();
      return records.length;
    }
    const text = (await res.text()).slice(0, 300);
    if (res.status === 400) {
      // "partial write: … dropped=N": the other points of the batch were written.
      const m = /dropped=(\d+)/.exec(text);
      const hint = text.includes("beyond retention")
        ? ` (packet time older than the ${this.opts.rawDuration ?? RP_RAW_DURATION} raw retention: for old captures use rawDuration "INF")`
        : "";
      throw new RejectedError(text + hint, records.length, m ? Number(m[1]) : undefined);
    }
    // 404 database not found: someone dropped it; create it again on the next attempt.
    if (res.status === 404) this.schemaReady = this.opts.manageSchema === false;
    throw new Error(`HTTP ${res.status}: ${text}`);
  }
}
