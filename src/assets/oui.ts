// MAC → vendor from the IEEE registries (MA-L 24-bit, MA-M 28-bit, MA-S 36-bit prefixes) shipped by the `oui-data` npm
// package (IEEE OUI database as JSON, refreshed from standards-oui.ieee.org by its maintainer; update with npm).
// Loaded lazily on the first lookup (~5 MB JSON, parsed once); an organisation's name is its text's first line.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

let table: Record<string, string> | undefined;

function load(): Record<string, string> {
  // The parsed object is kept as is: copying its ~50k entries into a Map cost more than the few lookups a capture needs.
  table ??= JSON.parse(readFileSync(createRequire(import.meta.url).resolve("oui-data"), "utf8")) as Record<string, string>;
  return table;
}

/** The organisation's name (first line of its registry text, trimmed) for one prefix, or undefined. */
function orgOf(prefix: string): string | undefined {
  const t = load();
  const org = Object.hasOwn(t, prefix) ? t[prefix] : undefined;
  if (org === undefined) return undefined;
  const nl = org.indexOf("\n");
  return (nl < 0 ? org : org.slice(0, nl)).trim();
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
  return orgOf(hex.slice(0, 9)) ?? orgOf(hex.slice(0, 7)) ?? orgOf(hex.slice(0, 6));
}
