// Real influxd and mosquitto for integration tests: each in its own temporary folder on free loopback ports, stopped
// (SIGTERM, awaited) and removed by the returned cleanup. Thin wrapper over src/services (also used by the demo).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startInfluxd, type InfluxdHandle } from "../../src/services/influxd.ts";
import { startMosquitto, type MosquittoHandle, type MosquittoOptions } from "../../src/services/mosquitto.ts";

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
