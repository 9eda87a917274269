// Overview dashboard (issue 4 §4): anomalies over time and by severity, the zone crossing matrix, top talkers and asset
// counts — what a plant security engineer opens first. Anomalies are annotations on every time-series panel.
import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { ANOMALIES, ASSETS, MODBUS, OPCUA, SENSOR, TRAFFIC } from "../../src/metrics/schema.ts";
import { Grid, anomalyAnnotation, baseDashboard, series, table, tagVariable } from "../lib/grafana.ts";
import { InfluxQuery } from "../lib/influxql.ts";
import { barGauge, bars, single, table as tablePanel } from "../lib/panels.ts";

export const anomalyCount = (): InfluxQuery => InfluxQuery.from(ANOMALIES).select("count", "id", "anomalies");

/** Assets known at the end of each group's last window, summed: the inventory size (optionally per tag, per interval). */
export function assetTotal(by: readonly string[] = [], perInterval = false, narrow: (q: InfluxQuery) => InfluxQuery = (q) => q): InfluxQuery {
  const inner = narrow(InfluxQuery.from(ASSETS).select("last", "count"));
  if (perInterval) inner.groupByTime();
  inner.groupBy("zone", "role", "vendor");
  const outer = InfluxQuery.fromSubquery(inner).select("sum", "count", "assets");
  if (perInterval) outer.groupByTime();
  return outer.groupBy(...by);
}

/** Zone pair × bytes as a table Grafana turns into a matrix (rows: source zone, columns: destination zone). */
export function zoneMatrixPanel(title: string, narrow: (q: InfluxQuery) => InfluxQuery = (q) => q) {
  const q = narrow(InfluxQuery.from(TRAFFIC).select("sum", "bytes")).groupBy("src_zone", "dst_zone");
  return tablePanel(
    title,
    "IP bytes between zones in the time range: rows are the client (source) zone, columns the server (destination) zone. " +
      "Anything off the diagonal crossed a zone boundary.",
    table(q),
  )
    .unit("decbytes")
    .withTransformation({ id: "groupingToMatrix", options: { rowField: "src_zone", columnField: "dst_zone", valueField: "bytes", emptyValue: "zero" } });
}

export function topTalkers(spec: typeof MODBUS | typeof OPCUA, field: string, n = 10) {
  const inner = InfluxQuery.from(spec).select("sum", field).groupBy("channel");
  return table(InfluxQuery.fromSubquery(inner).top(field, "channel", n));
}

export function overviewDashboard(): DashboardBuilder {
  const bySeverity = (q: InfluxQuery): InfluxQuery => q.whereVar("severity", "severity");
  const g = new Grid()
    .add(single("Anomalies", "Anomaly records in the time range (all severities selected above).", "short", "sum", series(bySeverity(anomalyCount()).groupByTime().fill("none"))), 6, 4)
    .add(single("Assets", "Assets in the inventory at the end of the time range.", "short", "lastNotNull", series(assetTotal([], true))), 6, 4)
    .add(single("Packets/s", "Packets per second of packet time seen by the sensor.", "pps", "lastNotNull", series(InfluxQuery.from(SENSOR).select("mean", "packets_per_s").groupByTime())), 6, 4)
    .add(
      single("Zone crossings", "Anomalies about traffic crossing zone boundaries (zone.*).", "short", "sum",
        series(anomalyCount().where("kind", "=~", "/^zone\\./").groupByTime().fill("none"))),
      6, 4,
    )
    .add(bars("Anomalies over time by severity", "Anomaly records per interval, stacked by severity.", series(bySeverity(anomalyCount()).groupByTime().groupBy("severity").fill("none"), "$tag_severity")), 16, 8)
    .add(barGauge("Anomalies by severity", "Anomaly records in the time range per severity.", "short", "sum", series(bySeverity(anomalyCount()).groupBy("severity"), "$tag_severity")), 8, 8)
    .add(zoneMatrixPanel("Zone crossing matrix (bytes)"), 12, 8)
    .add(tablePanel("Anomalies by kind", "Anomaly records per kind and severity in the time range.", table(bySeverity(anomalyCount()).groupBy("kind", "severity"))), 12, 8)
    .add(tablePanel("Top talkers: Modbus channels", "The ten Modbus channels (client → server/unit) with the most transactions.", topTalkers(MODBUS, "requests")), 8, 8)
    .add(tablePanel("Top talkers: OPC UA channels", "The ten OPC UA channels (client → server) with the most service calls.", topTalkers(OPCUA, "calls")), 8, 8)
    .add(barGauge("Assets by zone", "Assets per zone at the end of the time range.", "short", "lastNotNull", series(assetTotal(["zone"], true), "$tag_zone")), 8, 8)
    .add(
      tablePanel(
        "Latest anomalies",
        "The 50 most recent anomaly records.",
        table(bySeverity(InfluxQuery.from(ANOMALIES).value("severity").value("kind").value("src").value("dst").value("summary").value("attack")).newestFirst().limit(50)),
      ),
      24, 10,
    );
  const d = baseDashboard("otwatch-overview", "otwatch / Overview", "Anomalies, zone crossings, top talkers and assets of the monitored plant.")
    .withVariable(tagVariable("severity", "Severity", ANOMALIES, "severity"))
    .annotation(anomalyAnnotation());
  for (const p of g.panels) d.withPanel(p);
  return d;
}
