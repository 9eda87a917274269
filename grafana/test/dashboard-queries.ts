// Reads the generated dashboard JSON the way Grafana would use it, for the panel test: every InfluxQL query (panel
// targets, annotations, template variables) and every MQTT topic, and substitutes Grafana's macros and template
// variables the way Grafana's InfluxDB data source does (regex-escaped values, multi-value / "All" as (a|b|…)).
import { INFLUX_UID, MQTT_UID } from "../lib/grafana.ts";

export interface QueryRef {
  dashboard: string;
  /** Panel title, "annotation: <name>" or "variable: <name>". */
  where: string;
  refId: string;
  kind: "influx" | "mqtt";
  /** InfluxQL or MQTT topic filter, macros left in place. */
  text: string;
}

export interface VariableRef {
  name: string;
  type: string;
  query: string;
  datasourceUid: string | undefined;
  defaultValue: string | undefined;
}

interface Json {
  [k: string]: unknown;
}
const obj = (v: unknown): Json => (v !== null && typeof v === "object" ? (v as Json) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function targetRef(dashboard: string, where: string, t: Json, fallbackUid: string | undefined): QueryRef {
  const uid = str(obj(t.datasource).uid) ?? fallbackUid;
  const refId = str(t.refId) ?? "A";
  if (uid === INFLUX_UID) return { dashboard, where, refId, kind: "influx", text: str(t.query) ?? "" };
  if (uid === MQTT_UID) return { dashboard, where, refId, kind: "mqtt", text: str(t.topic) ?? "" };
  throw new Error(`${dashboard} / ${where}: data source uid ${String(uid)} is not a provisioned one`);
}

/** Every query of one dashboard JSON: panels (and panels inside rows), annotations. */
export function dashboardQueries(name: string, d: Json): QueryRef[] {
  const out: QueryRef[] = [];
  const panels = arr(d.panels).flatMap((p) => [obj(p), ...arr(obj(p).panels).map(obj)]);
  for (const p of panels) {
    const title = str(p.title) ?? "(untitled)";
    for (const t of arr(p.targets)) out.push(targetRef(name, title, obj(t), str(obj(p.datasource).uid)));
  }
  for (const a of arr(obj(d.annotations).list)) {
    const an = obj(a);
    if (an.builtIn === 1) continue;
    out.push(targetRef(name, `annotation: ${str(an.name) ?? ""}`, obj(an.target), str(obj(an.datasource).uid)));
  }
  return out;
}

export function dashboardVariables(d: Json): VariableRef[] {
  return arr(obj(d.templating).list).map((v) => {
    const x = obj(v);
    return {
      name: str(x.name) ?? "",
      type: str(x.type) ?? "",
      query: str(x.query) ?? "",
      datasourceUid: str(obj(x.datasource).uid),
      defaultValue: str(obj(x.current).value),
    };
  });
}

/** Grafana's escapeRegex (@grafana/data): what its InfluxDB data source applies to multi-value/"All" variable values. */
export function escapeRegex(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, "\\$&");
}

/** A variable's expansion inside /^$var$/: one value escaped, several as (a|b|…), as Grafana renders multi/"All". */
export function expandRegexVariable(values: readonly string[]): string {
  if (values.length === 1) return escapeRegex(values[0] as string);
  return `(${values.map(escapeRegex).join("|")})`;
}

export interface MacroValues {
  fromMs: number;
  toMs: number;
  interval: string;
  intervalMs: number;
  variables: ReadonlyMap<string, string>;
}

/** Substitutes $timeFilter, $__interval, $__interval_ms, $interval and $var / ${var} / [[var]]. */
export function substitute(text: string, m: MacroValues): string {
  let out = text
    .replace(/\$timeFilter/g, `time >= ${m.fromMs}ms and time <= ${m.toMs}ms`)
    .replace(/\$__interval_ms/g, String(m.intervalMs))
    .replace(/\$__interval/g, m.interval)
    .replace(/\$interval/g, m.interval);
  // Longest names first so $src_zone is not read as $src.
  const names = [...m.variables.keys()].sort((a, b) => b.length - a.length);
  for (const n of names) {
    const v = m.variables.get(n) as string;
    out = out.split(`\${${n}}`).join(v).split(`[[${n}]]`).join(v).split(`$${n}`).join(v);
  }
  const left = /\$(?!\()[A-Za-z_]\w*|\[\[\w+\]\]/.exec(out.replace(/\/\^|\$\//g, ""));
  if (left) throw new Error(`unsubstituted macro ${left[0]} in: ${out}`);
  return out;
}

/** MQTT topic filter matching (MQTT 3.1.1 §4.7): + one level, # the rest. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split("/");
  const t = topic.split("/");
  for (let i = 0; i < f.length; i++) {
    if (f[i] === "#") return true;
    if (i >= t.length) return false;
    if (f[i] !== "+" && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}
