// Test helpers for the appliance service: a temp folder with a generated otwatch.yaml and API token, a logger that keeps
// its JSON lines, and waiting for a condition. Live traffic uses 127.205.x.y addresses (no other test uses them).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { createLogger, type Logger } from "../../appliance/log.ts";

export const API_TOKEN = "test-token-4f1c2a9be0d84417";

export interface TestSetup {
  dir: string;
  configPath: string;
  stateDir: string;
  tokenFile: string;
  cleanup(): void;
}

/** Writes otwatch.yaml (loopback capture on `lo` with `filter`, API on a free port) merged with `extra`. */
export function makeSetup(filter: string, extra: Record<string, unknown> = {}): TestSetup {
  const dir = mkdtempSync(join(tmpdir(), "otwatch-svc-"));
  const stateDir = join(dir, "state");
  const tokenFile = join(dir, "api-token");
  writeFileSync(tokenFile, `${API_TOKEN}\n`, { mode: 0o600 });
  const cfg = {
    site: "testplant",
    learning: { duration: "1h" },
    capture: { interfaces: [{ name: "lo", filter }] },
    state_dir: stateDir,
    api: { bind: "127.0.0.1", port: 0, token_file: tokenFile },
    log: { level: "debug" },
    ...extra,
  };
  const configPath = join(dir, "otwatch.yaml");
  writeFileSync(configPath, stringify(cfg));
  return { dir, configPath, stateDir, tokenFile, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function memoryLogger(): { log: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const out: string[] = [];
  const log = createLogger("debug", (l) => void out.push(l));
  return { log, lines: () => out.map((l) => JSON.parse(l) as Record<string, unknown>), text: () => out.join("") };
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
