// Real influxd and mosquitto for integration tests: each in its own temporary folder on free loopback ports, stopped
// (SIGTERM, awaited) and removed by the returned cleanup. Thin wrapper over src/services (also used by the demo).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startInfluxd, type InfluxdHandle } from "../../src/services/influxd.ts";
import { startMosquitto, type MosquittoHandle, type MosquittoOptions } from "../../src/services/mosquitto.ts";

export const repoRootDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** A fresh temporary folder; removed by removeTempDirs(). */
const dirs: string[] = [];
export function tempDir(prefix = "otwatch-"): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export async function withInfluxd(): Promise<InfluxdHandle> {
  return startInfluxd({ dir: tempDir("otwatch-influxd-") });
}

export async function withMosquitto(opts: Omit<MosquittoOptions, "dir"> = {}): Promise<MosquittoHandle> {
  return startMosquitto({ ...opts, dir: tempDir("otwatch-mosquitto-") });
}

export interface InfluxRow {
  measurement: string;
  time: number;
  tags: Record<string, string>;
  fields: Record<string, number | string>;
}

/** Runs an InfluxQL SELECT over HTTP (epoch=u) and returns one row per point: tags from GROUP BY *, null fields omitted. */
export async function influxQuery(url: string, db: string, q: string): Promise<InfluxRow[]> {
  const res = await fetch(`${url}/query?db=${encodeURIComponent(db)}&epoch=u&q=${encodeURIComponent(q)}`);
  const body = (await res.json()) as {
    results?: { error?: string; series?: { name: string; tags?: Record<string, string>; columns: string[]; values: unknown[][] }[] }[];
  };
  const rows: InfluxRow[] = [];
  for (const r of body.results ?? []) {
    if (r.error) throw new Error(`influx query failed: ${r.error}`);
    for (const s of r.series ?? []) {
      for (const v of s.values) {
        const fields: Record<string, number | string> = {};
        s.columns.forEach((c, i) => {
          const x = v[i];
          if (c !== "time" && x !== null && x !== undefined) fields[c] = x as number | string;
        });
        const tags: Record<string, string> = {};
        for (const [k, val] of Object.entries(s.tags ?? {})) if (val !== "") tags[k] = val;
        rows.push({ measurement: s.name, time: Number(v[0]), tags, fields });
      }
    }
  }
  return rows;
}
