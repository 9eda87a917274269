// Site configuration (issue 3 §1): site name, Purdue zones with IPv4/IPv6 CIDRs, allowed conduits and learning settings,
// read from YAML (JSON is valid YAML) and validated with zod. A bad file yields a ConfigError whose message names the
// field path and the reason, e.g. `site.yaml: zones[2].cidrs[0]: "10.0.0.0/33" is not a CIDR` — never a stack trace.

import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { parseCidr } from "../detect/ip.ts";
import { isServiceSpec } from "../detect/services.ts";

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Zone names with a fixed meaning: "internet" (public addresses), "unknown" (private, in no zone), "any" (conduits),
 * "learned-ot" (industrial servers outside every configured zone). */
export const RESERVED_ZONE_NAMES: ReadonlySet<string> = new Set(["internet", "unknown", "any", "learned-ot"]);

const DURATION_RE = /^\d+(\.\d+)?\s*(ms|s|m|h|d|w)?$/;

const zoneSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "must be 1-64 letters, digits, '_', '.' or '-'"),
  level: z.number().min(0, "must be a Purdue level 0-5 (3.5 = DMZ)").max(5, "must be a Purdue level 0-5 (3.5 = DMZ)")
    .refine((v) => Number.isInteger(v * 2), "must be a whole level or 3.5 (DMZ)"),
  cidrs: z.array(
    z.string().refine((c) => parseCidr(c.trim()) !== undefined, { error: (iss) => `${JSON.stringify(iss.input)} is not a CIDR` }),
  ).min(1, "needs at least one CIDR"),
  description: z.string().optional(),
});

const conduitSchema = z.strictObject({
  from: z.string().min(1),
  to: z.string().min(1),
  service: z.string().refine(isServiceSpec, {
    error: (iss) => `${JSON.stringify(iss.input)} is not a service (a name like "modbus", "opcua", "rdp", "any", or "tcp/<port>")`,
  }),
  description: z.string().optional(),
});

const learningSchema = z.strictObject({
  /** Learning duration such as "45m", "7d". */
  duration: z.string().regex(DURATION_RE, "must be a duration like 45s, 30m, 2h, 7d").optional(),
  /** Minimum seconds of packet time between two updated records of one aggregated anomaly. */
  reemit: z.string().regex(DURATION_RE, "must be a duration like 45s, 30m, 2h, 7d").optional(),
});

const siteSchema = z.strictObject({
  site: z.string().min(1, "must not be empty"),
  zones: z.array(zoneSchema).default([]),
  conduits: z.array(conduitSchema).default([]),
  learning: learningSchema.optional(),
}).superRefine((cfg, ctx) => {
  const names = new Set<string>();
  cfg.zones.forEach((zone, i) => {
    if (RESERVED_ZONE_NAMES.has(zone.name)) ctx.addIssue({ code: "custom", path: ["zones", i, "name"], message: `"${zone.name}" is reserved` });
    if (names.has(zone.name)) ctx.addIssue({ code: "custom", path: ["zones", i, "name"], message: `duplicate zone "${zone.name}"` });
    names.add(zone.name);
  });
  cfg.conduits.forEach((c, i) => {
    for (const end of ["from", "to"] as const) {
      if (!names.has(c[end]) && !RESERVED_ZONE_NAMES.has(c[end])) {
        ctx.addIssue({ code: "custom", path: ["conduits", i, end], message: `"${c[end]}" is not a zone defined in zones` });
      }
    }
  });
});

export type SiteConfig = z.infer<typeof siteSchema>;
export type ZoneConfig = SiteConfig["zones"][number];
export type ConduitConfig = SiteConfig["conduits"][number];

/** Renders a zod path as `zones[2].cidrs[0]`. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out === "" ? "(top level)" : out;
}

/** Parses and validates a site config; `name` (usually the file path) prefixes every error line. */
export function parseSiteConfig(text: string, name: string): SiteConfig {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: true });
  } catch (err) {
    const msg = err instanceof Error ? err.message.split("\n")[0] : String(err);
    throw new ConfigError(`${name}: not valid YAML/JSON: ${msg}`);
  }
  if (raw === null || raw === undefined) throw new ConfigError(`${name}: the file is empty`);
  const result = siteSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const reason = i.code === "invalid_type" && i.message.endsWith("received undefined") ? "is required" : i.message;
      return `${name}: ${formatPath(i.path)}: ${reason}`;
    });
    throw new ConfigError(lines.join("\n"));
  }
  const cfg = result.data;
  return { ...cfg, zones: cfg.zones.map((z) => ({ ...z, cidrs: z.cidrs.map((c) => c.trim()) })) };
}

export function loadSiteConfig(path: string): SiteConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "read error";
    throw new ConfigError(`${path}: cannot read the site config (${code})`);
  }
  return parseSiteConfig(text, path);
}
