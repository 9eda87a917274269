// Shared pieces of the otwatch dashboards (issue 4 §4): the two provisioned data sources by fixed uid (never
// `${DS_…}` placeholders), query targets for InfluxDB (InfluxQL from influxql.ts) and for the grafana-mqtt-datasource,
// the anomaly annotation, template variables from SHOW TAG VALUES, and a grid layout helper. Everything is a
// foundation-SDK builder (cog.Builder) so the dashboards stay typed code.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { ANOMALIES, type MeasurementSpec } from "../../src/metrics/schema.ts";
import { InfluxQuery, showTagValues } from "./influxql.ts";

/** Fixed data source uids, also in grafana/provisioning/datasources/otwatch.yaml. */
export const INFLUX_UID = "otwatch-influxdb";
export const MQTT_UID = "otwatch-mqtt";
export const MQTT_PLUGIN_ID = "grafana-mqtt-datasource";
export const INFLUX_DS: dashboard.DataSourceRef = { type: "influxdb", uid: INFLUX_UID };
export const MQTT_DS: dashboard.DataSourceRef = { type: MQTT_PLUGIN_ID, uid: MQTT_UID };

/** The InfluxQL data source's query model (Grafana's InfluxQuery, raw mode). */
export interface InfluxTargetModel extends cog.Dataquery {
  refId: string;
  datasource: dashboard.DataSourceRef;
  query: string;
  rawQuery: true;
  resultFormat: "time_series" | "table";
  alias?: string;
}

/** A raw InfluxQL target; `alias` uses Grafana's $tag_<name> / $col patterns for legends. */
export class InfluxTarget implements cog.Builder<InfluxTargetModel> {
  constructor(
    private readonly q: InfluxQuery,
    private readonly opts: { refId?: string; format?: "time_series" | "table"; alias?: string } = {},
  ) {}

  build(): InfluxTargetModel {
    return {
      refId: this.opts.refId ?? "A",
      datasource: INFLUX_DS,
      query: this.q.toString(),
      rawQuery: true,
      resultFormat: this.opts.format ?? "time_series",
      ...(this.opts.alias ? { alias: this.opts.alias } : {}),
      _implementsDataqueryVariant() {},
    };
  }
}

export const table = (q: InfluxQuery, refId = "A"): InfluxTarget => new InfluxTarget(q, { refId, format: "table" });
export const series = (q: InfluxQuery, alias?: string, refId = "A"): InfluxTarget =>
  new InfluxTarget(q, { refId, format: "time_series", ...(alias ? { alias } : {}) });

/** grafana-mqtt-datasource query model: one topic filter (wildcards allowed), streamed live. */
export interface MqttTargetModel extends cog.Dataquery {
  refId: string;
  datasource: dashboard.DataSourceRef;
  topic: string;
}

export class MqttTarget implements cog.Builder<MqttTargetModel> {
  constructor(private readonly topic: string, private readonly refId = "A") {}

  build(): MqttTargetModel {
    return { refId: this.refId, datasource: MQTT_DS, topic: this.topic, _implementsDataqueryVariant() {} };
  }
}

/** Annotation target: InfluxQL plus the column roles Grafana's InfluxDB annotation editor uses. */
interface InfluxAnnotationTarget extends InfluxTargetModel {
  fromAnnotations: true;
  textColumn: string;
  tagsColumn: string;
  titleColumn: string;
}

/**
 * Anomalies as annotations: one per anomaly point, text = summary, tags = kind and severity. `narrow` restricts the
 * query (e.g. to the dashboard's protocol). The target carries the query; the legacy top-level `query`/`textColumn`/
 * `tagsColumn` keys are kept as well because Grafana's InfluxDB data source migrates annotations from them.
 */
export function anomalyAnnotation(name = "Anomalies", narrow: (q: InfluxQuery) => InfluxQuery = (q) => q): cog.Builder<dashboard.AnnotationQuery> {
  const q = narrow(InfluxQuery.from(ANOMALIES).value("summary").value("src").value("dst").value("kind").value("severity"));
  const target: InfluxAnnotationTarget = {
    ...new InfluxTarget(q, { refId: "Anomalies", format: "table" }).build(),
    fromAnnotations: true,
    textColumn: "summary",
    tagsColumn: "kind,severity",
    titleColumn: "",
  };
  const base = new dashboard.AnnotationQueryBuilder()
    .name(name)
    .datasource(INFLUX_DS)
    .enable(true)
    .iconColor("red")
    .target({ build: () => target });
  const anno = withoutMenuPlacement(base);
  return {
    build: () => ({ ...anno.build(), query: target.query, textColumn: target.textColumn, tagsColumn: target.tagsColumn }) as dashboard.AnnotationQuery,
  };
}

/** A template variable from SHOW TAG VALUES (multi-select, with "All" = every value), refreshed with the time range. */
export function tagVariable(
  name: string,
  label: string,
  spec: MeasurementSpec,
  tag: string,
  narrowBy: readonly [tag: string, variable: string][] = [],
): dashboard.QueryVariableBuilder {
  const query = showTagValues(spec, tag, narrowBy);
  return new dashboard.QueryVariableBuilder(name)
    .label(label)
    .datasource(INFLUX_DS)
    .query(query)
    .definition(query)
    .refresh(dashboard.VariableRefresh.OnTimeRangeChanged)
    .sort(dashboard.VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .current({ text: "All", value: "$__all", selected: true });
}

/** Something placed on the 24-column grid. */
export interface Placeable extends cog.Builder<dashboard.Panel> {
  gridPos(pos: dashboard.GridPos): unknown;
  id(id: number): unknown;
}

/**
 * Lays panels out left to right, wrapping at 24 columns; each row is as tall as its tallest panel. Panel ids are
 * 1, 2, 3 … in order, so links to one panel (?viewPanel=N) stay valid across regenerations that only append.
 */
export class Grid {
  private x = 0;
  private y = 0;
  private rowHeight = 0;
  readonly panels: Placeable[] = [];

  add(panel: Placeable, w: number, h = 8): this {
    if (this.x + w > 24) this.newRow();
    panel.gridPos({ x: this.x, y: this.y, w, h });
    panel.id(this.panels.length + 1);
    this.x += w;
    this.rowHeight = Math.max(this.rowHeight, h);
    this.panels.push(panel);
    return this;
  }

  newRow(): this {
    if (this.x > 0) {
      this.y += this.rowHeight;
      this.x = 0;
      this.rowHeight = 0;
    }
    return this;
  }
}

/** The SDK defaults `placement` to the (Grafana 12) controls menu; without it links and toggles show on the dashboard. */
function withoutMenuPlacement<T extends { placement?: unknown }>(b: cog.Builder<T>): cog.Builder<T> {
  return {
    build: () => {
      const { placement: _menu, ...rest } = b.build();
      return rest as T;
    },
  };
}

/** Common dashboard settings: fixed uid, tags, a time range, refresh, the otwatch dashboards linked to each other. */
export function baseDashboard(uid: string, title: string, description: string): dashboard.DashboardBuilder {
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(["otwatch"])
    .editable()
    .time({ from: "now-6h", to: "now" })
    .refresh("30s")
    .timezone("browser")
    .link(withoutMenuPlacement(
      new dashboard.DashboardLinkBuilder("otwatch")
        .type(dashboard.DashboardLinkType.Dashboards)
        .tags(["otwatch"])
        .asDropdown(true)
        .includeVars(false)
        .keepTime(true),
    ));
}
