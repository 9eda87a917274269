// Issue 4 §4: the committed provisioning JSON is exactly what the typed dashboard code generates (nobody edits JSON by
// hand), data sources are referenced by the fixed provisioned uids only (no ${DS_…} import placeholders), the
// provisioning YAML agrees with the dashboards and the schema, time-series dashboards carry the anomaly annotation,
// panels do not overlap, and the InfluxQL builder refuses names the schema does not have.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { ANOMALIES, DEFAULT_DATABASE, METRIC_WINDOW_S, MODBUS, TRAFFIC } from "../src/metrics/schema.ts";
import { DASHBOARDS_DIR } from "./generate.ts";
import { INFLUX_UID, MQTT_PLUGIN_ID, MQTT_UID } from "./lib/grafana.ts";
import { InfluxQuery, showTagValues } from "./lib/influxql.ts";
import { DASHBOARDS, dashboardJson } from "./src/index.ts";
import { dashboardQueries } from "./test/dashboard-queries.ts";

const PROVISIONING = join(DASHBOARDS_DIR, "..", "provisioning");
const names = Object.keys(DASHBOARDS);
const committed = (name: string): string => readFileSync(join(DASHBOARDS_DIR, `${name}.json`), "utf8");
type Json = Record<string, unknown>;

/** Every value under key `k` anywhere in the JSON tree. */
function collect(node: unknown, k: string, out: unknown[] = []): unknown[] {
  if (Array.isArray(node)) for (const x of node) collect(x, k, out);
  else if (node !== null && typeof node === "object") {
    for (const [key, v] of Object.entries(node)) {
      if (key === k) out.push(v);
      collect(v, k, out);
    }
  }
  return out;
}

describe("generated dashboards", () => {
  it("the committed JSON equals what the code generates (run `npm run grafana:generate`)", () => {
    for (const name of names) expect(committed(name), `grafana/dashboards/${name}.json is stale or hand-edited`).toBe(dashboardJson(name));
    const files = readdirSync(DASHBOARDS_DIR).filter((f) => f.endsWith(".json")).sort();
    expect(files).toEqual(names.map((n) => `${n}.json`).sort());
  });

  it("refers to data sources by the fixed provisioned uids only", () => {
    expect(names.length).toBe(7);
    const uids = new Set<string>();
    for (const name of names) {
      const text = committed(name);
      expect(text).not.toMatch(/\$\{DS_|__inputs|__requires/);
      const d = JSON.parse(text) as Json;
      expect(uids.has(String(d.uid))).toBe(false);
      uids.add(String(d.uid));
      for (const ds of collect(d, "datasource")) {
        expect([INFLUX_UID, MQTT_UID], `${name}: ${JSON.stringify(ds)}`).toContain((ds as Json).uid);
      }
    }
  });

  it("annotates every time-series dashboard with the anomalies, and every panel has a query", () => {
    for (const name of names) {
      const d = JSON.parse(committed(name)) as Json;
      const panels = d.panels as Json[];
      for (const p of panels) expect((p.targets as unknown[] | undefined)?.length ?? 0, `${name} / ${String(p.title)}`).toBeGreaterThan(0);
      if (!panels.some((p) => p.type === "timeseries")) continue;
      const annotations = dashboardQueries(name, d).filter((q) => q.where.startsWith("annotation:"));
      expect(annotations.length, `${name} has no anomaly annotation`).toBe(1);
      expect(annotations[0]?.text).toContain(`FROM "${ANOMALIES.name}" WHERE $timeFilter`);
    }
  });

  it("legend aliases name only tags the query groups by", () => {
    for (const name of names) {
      for (const p of (JSON.parse(committed(name)) as Json).panels as Json[]) {
        for (const t of (p.targets ?? []) as Json[]) {
          for (const m of String(t.alias ?? "").matchAll(/\$tag_(\w+)/g)) {
            expect(String(t.query), `${name} / ${String(p.title)}: alias $tag_${m[1]}`).toMatch(new RegExp(`GROUP BY .*"${m[1]}"`));
          }
        }
      }
    }
  });

  it("lays panels out on the 24-column grid without overlaps, with unique panel ids", () => {
    for (const name of names) {
      const panels = (JSON.parse(committed(name)) as Json).panels as Json[];
      expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
      const boxes = panels.map((p) => p.gridPos as { x: number; y: number; w: number; h: number });
      for (const [i, a] of boxes.entries()) {
        expect(a.x + a.w).toBeLessThanOrEqual(24);
        for (const b of boxes.slice(i + 1)) {
          const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
          expect(overlap, `${name}: panels overlap at ${JSON.stringify(a)} / ${JSON.stringify(b)}`).toBe(false);
        }
      }
    }
  });
});

describe("provisioning files", () => {
  const env = new Map(
    readFileSync(join(PROVISIONING, "otwatch.env"), "utf8")
      .split("\n")
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const),
  );
  /** Grafana's expansion (os.ExpandEnv): $VAR and ${VAR}; an unset variable becomes empty. */
  const expand = (text: string): string => text.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, a: string | undefined, b: string | undefined) => env.get((a ?? b) as string) ?? "");
  const load = (rel: string): { raw: string; doc: Json } => {
    const raw = readFileSync(join(PROVISIONING, rel), "utf8");
    return { raw, doc: parseYaml(expand(raw)) as Json };
  };

  it("every variable the YAML files use has a default in otwatch.env", () => {
    for (const rel of ["datasources/otwatch.yaml", "dashboards/otwatch.yaml"]) {
      const values = load(rel).raw.replace(/(^|\s)#.*$/gm, ""); // comments are not expanded
      const used = [...values.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1] as string);
      expect(used.length).toBeGreaterThan(0);
      for (const v of used) expect(env.has(v), `${rel}: ${v} has no default in otwatch.env`).toBe(true);
    }
  });

  it("provisions the InfluxDB (InfluxQL) and MQTT data sources with the uids the dashboards use", () => {
    const list = load("datasources/otwatch.yaml").doc.datasources as Json[];
    const influx = list.find((d) => d.uid === INFLUX_UID) as Json;
    const mqtt = list.find((d) => d.uid === MQTT_UID) as Json;
    expect(influx.type).toBe("influxdb");
    expect(new URL(String(influx.url)).protocol).toBe("http:");
    const ij = influx.jsonData as Json;
    expect(ij).toMatchObject({ version: "InfluxQL", dbName: DEFAULT_DATABASE, timeInterval: `${METRIC_WINDOW_S}s` });
    expect(mqtt.type).toBe(MQTT_PLUGIN_ID);
    expect(String((mqtt.jsonData as Json).uri)).toMatch(/^tcp:\/\/[^/]+:\d+$/);
  });

  it("the dashboards provider loads a file folder", () => {
    const p = (load("dashboards/otwatch.yaml").doc.providers as Json[])[0] as Json;
    expect(p).toMatchObject({ type: "file", folder: "otwatch" });
    expect(String((p.options as Json).path)).toMatch(/^\//);
  });
});

describe("InfluxQL builder", () => {
  it("renders names from the schema, quoted, with Grafana's macros", () => {
    const q = InfluxQuery.from(MODBUS).select("sum", "requests").whereVar("channel", "channel").groupByTime().groupBy("fc_name").fill("none");
    expect(q.toString()).toBe(
      'SELECT sum("requests") AS "requests" FROM "modbus" WHERE $timeFilter AND "channel" =~ /^$channel$/ GROUP BY time($__interval), "fc_name" fill(none)',
    );
    const inner = InfluxQuery.from(MODBUS).select("sum", "requests").groupBy("channel");
    expect(InfluxQuery.fromSubquery(inner).top("requests", "channel", 10).toString()).toBe(
      'SELECT top("requests", "channel", 10) AS "requests" FROM (SELECT sum("requests") AS "requests" FROM "modbus" WHERE $timeFilter GROUP BY "channel") WHERE $timeFilter',
    );
    expect(InfluxQuery.from(TRAFFIC).select("sum", "bytes").where("src_zone", "=", "it's").toString()).toContain(`"src_zone" = 'it\\'s'`);
    expect(showTagValues(MODBUS, "fc", [["channel", "channel"]])).toBe('SHOW TAG VALUES FROM "modbus" WITH KEY = "fc" WHERE "channel" =~ /^$channel$/');
  });

  it("refuses fields and tags the schema does not have", () => {
    expect(() => InfluxQuery.from(MODBUS).select("sum", "register")).toThrow(/no field "register"/);
    expect(() => InfluxQuery.from(MODBUS).groupBy("flow_id")).toThrow(/no tag "flow_id"/);
    expect(() => InfluxQuery.from(TRAFFIC).where("protocol", "=~", "modbus")).toThrow(/regex/);
    expect(() => showTagValues(TRAFFIC, "channel")).toThrow(/no tag "channel"/);
    // A subquery exposes only what it selects and groups by.
    const inner = InfluxQuery.from(MODBUS).select("sum", "requests").groupBy("channel");
    expect(() => InfluxQuery.fromSubquery(inner).select("sum", "writes")).toThrow(/no field "writes"/);
    expect(() => InfluxQuery.fromSubquery(inner).groupBy("fc")).toThrow(/no tag "fc"/);
  });
});
