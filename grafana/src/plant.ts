// Assets and IT/OT zones dashboards (issue 4 §4): asset counts by zone/role/vendor and new assets; traffic per zone
// pair and protocol, the crossing matrix, rejected flows (scans) and zone-crossing anomalies.
import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { ANOMALIES, ASSETS, TRAFFIC } from "../../src/metrics/schema.ts";
import { Grid, anomalyAnnotation, baseDashboard, series, table, tagVariable } from "../lib/grafana.ts";
import { InfluxQuery } from "../lib/influxql.ts";
import { barGauge, bars, lines, single, table as tablePanel } from "../lib/panels.ts";
import { assetTotal, zoneMatrixPanel } from "./overview.ts";

function build(d: DashboardBuilder, g: Grid): DashboardBuilder {
  for (const p of g.panels) d.withPanel(p);
  return d;
}

export function assetsDashboard(): DashboardBuilder {
  const narrow = (q: InfluxQuery): InfluxQuery => q.whereVar("zone", "zone").whereVar("role", "role");
  const newAssets = (): InfluxQuery => narrow(InfluxQuery.from(ASSETS).select("sum", "new"));
  const g = new Grid()
    .add(single("Assets", "Assets in the inventory at the end of the time range.", "short", "lastNotNull", series(assetTotal([], true, narrow))), 8, 4)
    .add(single("New assets", "Assets first seen in the time range.", "short", "sum", series(newAssets().groupByTime().fill("none"))), 8, 4)
    .add(single("Vendors", "Distinct vendors (MAC OUI or device identification) in the time range.", "short", "lastNotNull",
      series(InfluxQuery.fromSubquery(narrow(InfluxQuery.from(ASSETS).select("last", "count")).groupBy("vendor")).select("count", "count", "vendors"))), 8, 4)
    .add(barGauge("Assets by zone", "Assets per zone at the end of the time range.", "short", "lastNotNull", series(assetTotal(["zone"], true, narrow), "$tag_zone")), 8, 8)
    .add(barGauge("Assets by role", "Assets per role (a server role wins over a client role).", "short", "lastNotNull", series(assetTotal(["role"], true, narrow), "$tag_role")), 8, 8)
    .add(tablePanel("Assets by vendor", "Assets per vendor at the end of the time range.", table(assetTotal(["vendor"], false, narrow))), 8, 8)
    .add(lines("Assets over time by zone", "Inventory size per zone.", "short", series(assetTotal(["zone"], true, narrow), "$tag_zone")), 12, 8)
    .add(bars("New assets by zone and role", "Assets first seen per interval.", series(newAssets().groupByTime().groupBy("zone", "role").fill("none"), "$tag_zone $tag_role")), 12, 8)
    .add(
      tablePanel("When new assets appeared", "Windows in which assets were first seen, with their zone, role and vendor.",
        table(narrow(InfluxQuery.from(ASSETS).value("new").value("zone").value("role").value("vendor")).whereField("new", ">", 0).newestFirst())),
      24, 10,
    );
  const d = baseDashboard("otwatch-assets", "otwatch / Assets", "The passive asset inventory: counts by zone, role and vendor, and when new assets appeared.")
    .withVariable(tagVariable("zone", "Zone", ASSETS, "zone"))
    .withVariable(tagVariable("role", "Role", ASSETS, "role", [["zone", "zone"]]))
    .annotation(anomalyAnnotation());
  return build(d, g);
}

export function zonesDashboard(): DashboardBuilder {
  const t = (): InfluxQuery =>
    InfluxQuery.from(TRAFFIC).whereVar("src_zone", "src_zone").whereVar("dst_zone", "dst_zone").whereVar("protocol", "protocol");
  const pairs = (field: string): InfluxQuery => t().select("sum", field).groupByTime().groupBy("src_zone", "dst_zone").fill("none");
  const crossings = (): InfluxQuery =>
    InfluxQuery.from(ANOMALIES).where("kind", "=~", "/^zone\\./").whereVar("src_zone", "src_zone").whereVar("dst_zone", "dst_zone");
  const pair = "$tag_src_zone → $tag_dst_zone";
  const g = new Grid()
    .add(lines("Bytes per zone pair", "IP bytes per interval between zones (flows counted when they end).", "decbytes", series(pairs("bytes"), pair)), 12, 8)
    .add(bars("Packets per protocol", "Packets per interval per protocol (flows counted when they end).",
      series(t().select("sum", "packets").groupByTime().groupBy("protocol").fill("none"), "$tag_protocol")), 12, 8)
    .add(bars("Flows started per zone pair", "New flows per interval between zones.", series(pairs("flows_started"), pair)), 8, 8)
    .add(bars("Rejected flows per zone pair", "TCP connections refused or unanswered (scans) per interval.", series(pairs("flows_rejected"), pair)), 8, 8)
    .add(bars("Zone crossing anomalies", "zone.* anomalies per interval (IT → OT, crossings not allowed by a conduit).",
      series(crossings().select("count", "id", "anomalies").groupByTime().groupBy("src_zone", "dst_zone").fill("none"), pair)), 8, 8)
    .add(zoneMatrixPanel("Zone crossing matrix (bytes)", (q) => q.whereVar("protocol", "protocol")), 10, 9)
    .add(
      tablePanel("Traffic per zone pair and protocol", "Totals in the time range per source zone, destination zone and protocol.",
        table(t().select("sum", "bytes").select("sum", "packets").select("sum", "flows").select("sum", "flows_rejected").groupBy("src_zone", "dst_zone", "protocol"))),
      14, 9,
    )
    .add(
      tablePanel("Zone crossings", "zone.* anomaly records: who crossed which boundary with which protocol.",
        table(crossings().value("kind").value("severity").value("protocol").value("src").value("dst").value("summary").newestFirst().limit(100))),
      24, 9,
    );
  const d = baseDashboard("otwatch-zones", "otwatch / IT/OT zones", "Traffic between the plant's zones (site.yaml) and the crossings of zone boundaries.")
    .withVariable(tagVariable("src_zone", "Source zone", TRAFFIC, "src_zone"))
    .withVariable(tagVariable("dst_zone", "Destination zone", TRAFFIC, "dst_zone", [["src_zone", "src_zone"]]))
    .withVariable(tagVariable("protocol", "Protocol", TRAFFIC, "protocol", [["src_zone", "src_zone"], ["dst_zone", "dst_zone"]]))
    .annotation(anomalyAnnotation("Zone anomalies", (q) => q.where("kind", "=~", "/^zone\\./")));
  return build(d, g);
}
