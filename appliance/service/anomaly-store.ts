// The service's anomaly history for the HTTP API (issue 5 §2): the latest record per anomaly id (the engine re-emits an
// aggregated anomaly with a new count), acknowledgements, filters and pagination. Persisted as JSON lines in the state
// folder (one appended line per record or ack: a crash loses nothing already reported) and read back at start, so the
// history survives restarts. Bounded: MAX_STORED_ANOMALIES in memory; the file is compacted when it grows past
// ANOMALY_FILE_MAX_BYTES (rewritten atomically from memory).

import { appendFileSync, existsSync, readFileSync, statSync } from "node:fs";
import { writeFileAtomic } from "../../src/detect/baseline-store.ts";
import type { Anomaly, Severity } from "../../src/detect/types.ts";

export const MAX_STORED_ANOMALIES = 20_000;
export const ANOMALY_FILE_MAX_BYTES = 64 * 1024 * 1024;

export interface StoredAnomaly extends Anomaly {
  acknowledged: boolean;
  ack_ts?: string;
}

export interface AnomalyQuery {
  /** Epoch seconds: anomalies seen at or after (last_seen ≥ since) / at or before (first_seen ≤ until). */
  since?: number;
  until?: number;
  kind?: string;
  severity?: Severity;
  host?: string;
  acknowledged?: boolean;
  limit: number;
  offset: number;
}

type Line = { a: Anomaly } | { ack: string; ts: string };

export class AnomalyStore {
  private readonly byId = new Map<string, StoredAnomaly>();
  private failing = false;

  constructor(private readonly path: string | undefined, private readonly warn: (msg: string) => void = () => undefined) {
    if (path !== undefined && existsSync(path)) this.load(path);
  }

  get size(): number {
    return this.byId.size;
  }

  add(a: Anomaly): void {
    const prev = this.byId.get(a.id);
    if (prev) this.byId.delete(a.id); // re-insert: Map order = least recently updated first
    this.byId.set(a.id, { ...a, acknowledged: prev?.acknowledged ?? false, ...(prev?.ack_ts ? { ack_ts: prev.ack_ts } : {}) });
    this.trim();
    this.append({ a });
  }

  get(id: string): StoredAnomaly | undefined {
    return this.byId.get(id);
  }

  ack(id: string, now = new Date()): StoredAnomaly | undefined {
    const s = this.byId.get(id);
    if (!s) return undefined;
    if (!s.acknowledged) {
      s.acknowledged = true;
      s.ack_ts = now.toISOString();
      this.append({ ack: id, ts: s.ack_ts });
    }
    return s;
  }

  /** Newest first (by first_seen, then id). */
  query(q: AnomalyQuery): { total: number; items: StoredAnomaly[] } {
    const since = q.since !== undefined ? new Date(q.since * 1000).toISOString() : undefined;
    const until = q.until !== undefined ? new Date(q.until * 1000).toISOString() : undefined;
    const hits: StoredAnomaly[] = [];
    for (const a of this.byId.values()) {
      if (since !== undefined && a.last_seen < since) continue;
      if (until !== undefined && a.first_seen > until) continue;
      if (q.kind !== undefined && a.kind !== q.kind) continue;
      if (q.severity !== undefined && a.severity !== q.severity) continue;
      if (q.host !== undefined && a.src !== q.host && a.dst !== q.host) continue;
      if (q.acknowledged !== undefined && a.acknowledged !== q.acknowledged) continue;
      hits.push(a);
    }
    hits.sort((x, y) => y.first_seen.localeCompare(x.first_seen) || x.id.localeCompare(y.id));
    return { total: hits.length, items: hits.slice(q.offset, q.offset + q.limit) };
  }

  countBySeverity(): Record<Severity, number> {
    const out: Record<Severity, number> = { low: 0, medium: 0, high: 0, critical: 0 };
    for (const a of this.byId.values()) if (!a.acknowledged) out[a.severity]++;
    return out;
  }

  private trim(): void {
    while (this.byId.size > MAX_STORED_ANOMALIES) {
      const oldest = this.byId.keys().next().value;
      if (oldest === undefined) break;
      this.byId.delete(oldest);
    }
  }

  private append(line: Line): void {
    if (this.path === undefined) return;
    try {
      appendFileSync(this.path, `${JSON.stringify(line)}\n`, { mode: 0o640 });
      if (statSync(this.path).size > ANOMALY_FILE_MAX_BYTES) this.compact();
      this.failing = false;
    } catch (err) {
      // Once per failure streak (a full disk would otherwise log every anomaly).
      if (!this.failing) this.warn(`cannot write ${this.path} (${(err as NodeJS.ErrnoException).code ?? String(err)}): the API history is kept in memory only until it can`);
      this.failing = true;
    }
  }

  private compact(): void {
    if (this.path === undefined) return;
    let text = "";
    for (const s of this.byId.values()) {
      const { acknowledged, ack_ts, ...a } = s;
      text += `${JSON.stringify({ a })}\n`;
      if (acknowledged) text += `${JSON.stringify({ ack: a.id, ts: ack_ts ?? "" })}\n`;
    }
    writeFileAtomic(this.path, text);
  }

  private load(path: string): void {
    let bad = 0;
    for (const text of readFileSync(path, "utf8").split("\n")) {
      if (text === "") continue;
      try {
        const line = JSON.parse(text) as Partial<{ a: Anomaly; ack: string; ts: string }>;
        if (line.a && typeof line.a.id === "string") {
          const prev = this.byId.get(line.a.id);
          this.byId.delete(line.a.id);
          this.byId.set(line.a.id, { ...line.a, acknowledged: prev?.acknowledged ?? false, ...(prev?.ack_ts ? { ack_ts: prev.ack_ts } : {}) });
        } else if (typeof line.ack === "string") {
          const s = this.byId.get(line.ack);
          if (s) (s.acknowledged = true), (s.ack_ts = line.ts ?? "");
        } else bad++;
      } catch {
        bad++; // a torn last line after a crash
      }
    }
    this.trim();
    if (bad > 0) this.warn(`${path}: ${bad} unreadable line(s) skipped`);
  }
}
