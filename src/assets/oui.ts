// MAC → vendor from the IEEE registries (MA-L 24-bit, MA-M 28-bit, MA-S 36-bit prefixes) shipped by the `oui-data` npm
// package (IEEE OUI database as JSON, refreshed from standards-oui.ieee.org by its maintainer; update with npm).
// Loaded lazily on the first lookup (~5 MB JSON, parsed once); only each organisation's first line (its name) is kept.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

let table: Map<string, string> | undefined;

function load(): Map<string, string> {
  if (table) return table;
  const path = createRequire(import.meta.url).resolve("oui-data");
  const raw = JSON.parse(readFileSync(path, "utf8")) as Record<string, string>;
  table = new Map();
  for (const [prefix, org] of Object.entries(raw)) {
    const nl = org.indexOf("\n");
    table.set(prefix, (nl < 0 ? org : org.slice(0, nl)).trim());
  }
  return table;
}

/** True for a locally administered (randomised, virtual) MAC: no IEEE vendor behind it. */
export function isLocallyAdministered(mac: string): boolean {
  const first = parseInt(mac.slice(0, 2), 16);
  return Number.isFinite(first) && (first & 0x02) !== 0;
}

/** The registered organisation of a MAC ("00:30:de:…" → "WAGO Kontakttechnik GmbH"), or undefined. Longest prefix wins. */
export function vendorOf(mac: string): string | undefined {
  const hex = mac.replace(/[^0-9a-fA-F]/g, "").toUpperCase();
  if (hex.length !== 12) return undefined;
  const t = load();
  return t.get(hex.slice(0, 9)) ?? t.get(hex.slice(0, 7)) ?? t.get(hex.slice(0, 6));
}
