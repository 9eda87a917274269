// Locates ../shared (public captures, tshark references, scenarios). OTWATCH_SHARED overrides the default, which is the
// folder beside the checkout. Tests that need it fail with a plain message when it is absent; they are never skipped.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function sharedDir(): string {
  const dir = process.env.OTWATCH_SHARED ?? join(repoRoot, "..", "shared");
  if (!existsSync(join(dir, "pcaps"))) {
    throw new Error(`shared data folder not found at ${dir} (set OTWATCH_SHARED to the folder holding pcaps/ and scenarios/)`);
  }
  return dir;
}

export function sharedPath(...parts: string[]): string {
  return join(sharedDir(), ...parts);
}
