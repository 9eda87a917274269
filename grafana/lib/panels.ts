// Panel shorthands over the foundation SDK's panel builders (issue 4 §4): every InfluxDB panel gets the fixed data
// source ref, a description, a unit and sensible defaults (counts as stacked bars, gauges as lines, tables sorted).
// Kept small so the dashboard files read as a list of panels and queries.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as statetimeline from "@grafana/grafana-foundation-sdk/statetimeline";
import * as tablePanel from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { INFLUX_DS, MQTT_DS, MqttTarget } from "./grafana.ts";

type Target = cog.Builder<cog.Dataquery>;

function withTargets<T extends { withTarget(t: Target): unknown }>(panel: T, targets: readonly Target[]): T {
  for (const t of targets) panel.withTarget(t);
  return panel;
}

/** Legend as a table right of the graph, with one column per reducer. */
function tableLegend(calcs: string[]): common.VizLegendOptionsBuilder {
  return new common.VizLegendOptionsBuilder().displayMode(common.LegendDisplayMode.Table).placement(common.LegendPlacement.Right).showLegend(true).calcs(calcs);
}

/** One value per series (not per row), reduced by `calc`. */
function reduceTo(calc: string): common.ReduceDataOptionsBuilder {
  return new common.ReduceDataOptionsBuilder().calcs([calc]).values(false);
}

/** Gauges and rates: lines. */
export function lines(title: string, description: string, unit: string, ...targets: Target[]): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(INFLUX_DS)
    .unit(unit)
    .lineWidth(1)
    .fillOpacity(10)
    .spanNulls(false)
    .legend(tableLegend(["max", "mean"]));
  return withTargets(p, targets);
}

/** Counts per window: stacked bars (one bar per interval, one colour per series). */
export function bars(title: string, description: string, ...targets: Target[]): timeseries.PanelBuilder {
  const p = new timeseries.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(INFLUX_DS)
    .unit("short")
    .drawStyle(common.GraphDrawStyle.Bars)
    .fillOpacity(80)
    .lineWidth(1)
    .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
    .legend(tableLegend(["sum"]));
  return withTargets(p, targets);
}

export function table(title: string, description: string, ...targets: Target[]): tablePanel.PanelBuilder {
  const p = new tablePanel.PanelBuilder().title(title).description(description).datasource(INFLUX_DS).cellHeight(common.TableCellHeight.Sm);
  return withTargets(p, targets);
}

/** One number: `calc` is Grafana's reducer (sum over the range for counts, lastNotNull for gauges). */
export function single(title: string, description: string, unit: string, calc: "sum" | "lastNotNull" | "max", ...targets: Target[]): stat.PanelBuilder {
  const p = new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(INFLUX_DS)
    .unit(unit)
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.Value)
    .reduceOptions(reduceTo(calc));
  return withTargets(p, targets);
}

/** Horizontal bars, one per series or row (counts by zone, role, severity …). */
export function barGauge(title: string, description: string, unit: string, calc: "sum" | "lastNotNull", ...targets: Target[]): bargauge.PanelBuilder {
  const p = new bargauge.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(INFLUX_DS)
    .unit(unit)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .reduceOptions(reduceTo(calc));
  return withTargets(p, targets);
}

/** One row per series, coloured where the series has a non-zero value ("in use"), empty where it has none. */
export function activity(title: string, description: string, ...targets: Target[]): statetimeline.PanelBuilder {
  const p = new statetimeline.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(INFLUX_DS)
    .showValue(common.VisibilityMode.Never)
    .mappings([
      { type: dashboard.MappingType.RangeToText, options: { from: 1e-9, to: null, result: { text: "in use", color: "green" } } },
      { type: dashboard.MappingType.ValueToText, options: { "0": { text: "idle", color: "transparent" } } },
    ]);
  return withTargets(p, targets);
}

/** A live table of the messages on one MQTT topic filter (grafana-mqtt-datasource streams; newest first). */
export function mqttTable(title: string, description: string, topic: string): tablePanel.PanelBuilder {
  return new tablePanel.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(MQTT_DS)
    .withTarget(new MqttTarget(topic))
    .sortBy([new common.TableSortByFieldStateBuilder().displayName("Time").desc(true)]);
}

/** The latest message on a (retained) MQTT topic as big values. */
export function mqttStat(title: string, description: string, topic: string): stat.PanelBuilder {
  return new stat.PanelBuilder()
    .title(title)
    .description(description)
    .datasource(MQTT_DS)
    .withTarget(new MqttTarget(topic))
    .textMode(common.BigValueTextMode.ValueAndName)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false).fields("/.*/"));
}
