// MQTT sink (issue 4 §2, §3, §6) with the `mqtt` package: every anomaly as flat JSON, QoS 1, on
// otwatch/<site>/anomalies/<severity>/<kind>; retained asset summaries on otwatch/<site>/assets/<ip>; a retained
// otwatch/<site>/status ("online" with mode and learning progress; "offline" by last will, or explicitly on close).
// Anomalies and assets go through the persistent spool and are published one after the other, each acknowledged (PUBACK)
// before the next, so the broker sees them in order across outages and restarts (QoS 1 is at-least-once: a message
// whose PUBACK was lost to a broker crash is sent again). Status is connection state, republished at each connect.
// Credentials come from options or files and are never logged; TLS via ca/cert/key files.
import { readFileSync } from "node:fs";
import { connect, type IClientOptions, type MqttClient } from "mqtt";
import type { Anomaly, Mode } from "../detect/types.ts";
import { DeliveryQueue, type SinkCounters } from "./delivery.ts";
import { redactUrl } from "./influx-sink.ts";
import { Spool, type SpoolRecord } from "./spool.ts";

export const MQTT_TOPIC_ROOT = "otwatch";
export const MQTT_MAX_BATCH = 200;

export interface MqttSinkOptions {
  /** mqtt://host:1883 or mqtts://host:8883 (credentials in the URL are accepted, files are better). */
  url: string;
  /** Site name, the second topic level. */
  site: string;
  username?: string;
  password?: string;
  usernameFile?: string;
  passwordFile?: string;
  /** PEM files for TLS: CA to trust, client certificate and key (mutual TLS). */
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
  clientId?: string;
  /** Spool folder (created); reusing it after a restart delivers what was left. */
  spoolDir: string;
  spoolMaxBytes?: number;
  fsyncIntervalMs?: number;
  reconnectPeriodMs?: number;
  backoffMinMs?: number;
  backoffMaxMs?: number;
  log?: (msg: string) => void;
}

/** What the retained status topic says. */
export interface SensorStatus {
  mode: Mode;
  /** 0..1 */
  learningProgress: number;
}

interface SpooledMessage {
  t: string;
  p: string;
  r: boolean;
}

/** Topic levels must not contain MQTT wildcards or separators. */
export function topicLevel(s: string): string {
  const clean = s.replace(/[+#/\u0000]/g, "_");
  return clean === "" ? "_" : clean;
}

export function statusTopic(site: string): string {
  return `${MQTT_TOPIC_ROOT}/${topicLevel(site)}/status`;
}

export function anomalyTopic(site: string, a: Pick<Anomaly, "severity" | "kind">): string {
  return `${MQTT_TOPIC_ROOT}/${topicLevel(site)}/anomalies/${topicLevel(a.severity)}/${topicLevel(a.kind)}`;
}

export function assetTopic(site: string, ip: string): string {
  return `${MQTT_TOPIC_ROOT}/${topicLevel(site)}/assets/${topicLevel(ip)}`;
}

export type FlatValue = string | number | boolean;

export class MqttSink {
  private readonly client: MqttClient;
  private readonly queue: DeliveryQueue;
  private readonly log: (msg: string) => void;
  private status: SensorStatus = { mode: "learning", learningProgress: 0 };
  private closing = false;

  constructor(private readonly opts: MqttSinkOptions) {
    this.log = opts.log ?? ((m) => console.error(m));
    const spool = new Spool(opts.spoolDir, { maxBytes: opts.spoolMaxBytes, fsyncIntervalMs: opts.fsyncIntervalMs, log: this.log });
    this.queue = new DeliveryQueue({
      name: `mqtt ${redactUrl(opts.url)}`,
      spool,
      deliver: (records) => this.deliver(records),
      maxBatch: MQTT_MAX_BATCH,
      log: this.log,
      backoffMinMs: opts.backoffMinMs,
      backoffMaxMs: opts.backoffMaxMs,
    });
    this.client = connect(opts.url, this.clientOptions());
    this.client.on("connect", () => {
      this.publishStatus();
      this.queue.resume();
    });
    // A publish in flight when the connection drops is resent by the client at reconnect (the loop just waits), so the
    // loss of the connection itself marks the sink down.
    this.client.on("close", () => this.queue.markDown("connection lost"));
    // Connection errors repeat at every reconnect attempt; the delivery queue logs the outage once.
    this.client.on("error", () => undefined);
    this.queue.kick();
  }

  get connected(): boolean {
    return this.client.connected;
  }

  publishAnomaly(a: Anomaly): void {
    this.enqueue({ t: anomalyTopic(this.opts.site, a), p: JSON.stringify(flatten(a)), r: false });
  }

  /** Retained summary of one asset (flat JSON; `ip` names the topic). */
  publishAsset(asset: { readonly ip: string } & Readonly<Record<string, FlatValue>>): void {
    this.enqueue({ t: assetTopic(this.opts.site, asset.ip), p: JSON.stringify(flatten(asset)), r: true });
  }

  /** Updates the retained status (published now when connected, and at every reconnect). */
  setStatus(s: Partial<SensorStatus>): void {
    this.status = { ...this.status, ...s };
    if (this.client.connected) this.publishStatus();
  }

  counters(): SinkCounters {
    return this.queue.counters();
  }

  flush(timeoutMs?: number): Promise<boolean> {
    return this.queue.flush(timeoutMs);
  }

  /** Publishes status offline (retained), stops delivering and disconnects; the spool keeps what is left. */
  async close(): Promise<void> {
    this.closing = true;
    await this.queue.close();
    if (this.client.connected) {
      await this.client
        .publishAsync(statusTopic(this.opts.site), JSON.stringify(this.statusPayload("offline")), { qos: 1, retain: true })
        .catch(() => undefined);
    }
    await this.client.endAsync(!this.client.connected);
  }

  private enqueue(m: SpooledMessage): void {
    // One record per message: a partial delivery acknowledges exactly the messages the broker took.
    this.queue.push([m]);
  }

  private statusPayload(state: "online" | "offline"): Record<string, FlatValue> {
    return {
      state,
      site: this.opts.site,
      mode: this.status.mode,
      learning_progress: Math.round(Math.min(1, Math.max(0, this.status.learningProgress)) * 1000) / 1000,
      ts: new Date().toISOString(),
    };
  }

  private publishStatus(): void {
    if (this.closing) return;
    this.client.publish(statusTopic(this.opts.site), JSON.stringify(this.statusPayload("online")), { qos: 1, retain: true });
  }

  private async deliver(records: readonly SpoolRecord[]): Promise<number> {
    let done = 0;
    for (const r of records) {
      if (!this.client.connected) return done;
      for (const item of r.items) {
        const m = item as SpooledMessage;
        await this.client.publishAsync(m.t, m.p, { qos: 1, retain: m.r });
      }
      done++;
    }
    return done;
  }

  private clientOptions(): IClientOptions {
    const o = this.opts;
    const read = (path: string | undefined): string | undefined => (path ? readFileSync(path, "utf8").trim() : undefined);
    const opts: IClientOptions = {
      clientId: o.clientId ?? `otwatch-${topicLevel(o.site)}-${process.pid}`,
      clean: true,
      reconnectPeriod: o.reconnectPeriodMs ?? 1000,
      connectTimeout: 5000,
      will: {
        topic: statusTopic(o.site),
        payload: Buffer.from(JSON.stringify({ state: "offline", site: o.site })),
        qos: 1,
        retain: true,
      },
    };
    const username = read(o.usernameFile) ?? o.username;
    const password = read(o.passwordFile) ?? o.password;
    if (username !== undefined) opts.username = username;
    if (password !== undefined) opts.password = password;
    if (o.ca) opts.ca = readFileSync(o.ca);
    if (o.cert) opts.cert = readFileSync(o.cert);
    if (o.key) opts.key = readFileSync(o.key);
    if (o.rejectUnauthorized !== undefined) opts.rejectUnauthorized = o.rejectUnauthorized;
    return opts;
  }
}

/** Keeps top-level scalar keys only (grafana-mqtt-datasource reads top-level keys); objects become JSON text. */
export function flatten(o: object): Record<string, FlatValue> {
  const out: Record<string, FlatValue> = {};
  for (const [k, v] of Object.entries(o) as [string, unknown][]) {
    if (typeof v === "string" || typeof v === "boolean") out[k] = v;
    else if (typeof v === "number") out[k] = Number.isFinite(v) ? v : String(v);
    else if (v !== undefined && v !== null) out[k] = JSON.stringify(v);
  }
  return out;
}
