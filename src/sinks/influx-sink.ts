// InfluxDB sink (issue 4 §1, §3, §6) through the `influx` package and InfluxDB's 1.x HTTP API (/query, /write): at start
// it creates the database, the retention policies RP_RAW (default, raw window aggregates) and RP_LONG, and the continuous
// queries that downsample into RP_LONG (schema.ts). Points go through the persistent spool and are written in order in
// batches of up to `maxBatch` points with precision "u"; a failed write is retried with backoff; a batch InfluxDB
// rejects as invalid (HTTP 400: field type conflict, bad line) is dropped and counted, never retried forever.
// InfluxDB 2.x: same code through its 1.x compatibility API with `manageSchema: false` (see src/sinks/README.md).
import { readFileSync } from "node:fs";
import { InfluxDB, type IPoint } from "influx";
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

/** MetricPoint → the influx package's IPoint: non-finite numbers dropped, empty tag values made "none". */
export function toIPoint(p: MetricPoint): IPoint | undefined {
  const fields: Record<string, number | string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(p.fields)) {
    if (typeof v === "number" && !Number.isFinite(v)) continue;
    fields[k] = v;
    n++;
  }
  if (n === 0) return undefined;
  const tags: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.tags)) tags[k] = v === "" ? "none" : v;
  return { measurement: p.measurement, tags, fields, timestamp: String(Math.round(p.time)) };
}

export class InfluxSink {
  readonly database: string;
  private readonly client: InfluxDB;
  private readonly queue: DeliveryQueue;
  private schemaReady: boolean;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: InfluxSinkOptions) {
    const t = resolveInfluxTarget(opts);
    this.database = t.database;
    this.log = opts.log ?? ((m) => console.error(m));
    this.schemaReady = opts.manageSchema === false;
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
    this.queue.push(points);
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

  private async deliver(records: readonly SpoolRecord[]): Promise<number> {
    if (!this.schemaReady) {
      await this.ensureSchema();
      this.schemaReady = true;
    }
    const points: IPoint[] = [];
    for (const r of records) {
      for (const item of r.items) {
        const p = toIPoint(item as MetricPoint);
        if (p) points.push(p);
      }
    }
    if (points.length === 0) return records.length;
    try {
      await this.client.writePoints(points, { precision: "u" });
    } catch (err) {
      const status = (err as { res?: { statusCode?: number } }).res?.statusCode;
      if (status === 400) {
        // "partial write: … dropped=N": the other points of the batch were written.
        const m = /dropped=(\d+)/.exec((err as Error).message);
        const dropped = m ? Number(m[1]) : undefined;
        throw new RejectedError((err as Error).message.slice(0, 300), records.length, dropped);
      }
      // 404 database not found: someone dropped it; create it again on the next attempt.
      if (status === 404) this.schemaReady = this.opts.manageSchema === false;
      throw err;
    }
    return records.length;
  }
}
