// Live anomalies (MQTT) and Sensor health dashboards (issue 4 §4). The live panels subscribe through the
// grafana-mqtt-datasource to the topic tree the MQTT sink publishes (src/sinks/README.md): anomalies on
// otwatch/<site>/anomalies/<severity>/<kind>, the retained status on otwatch/<site>/status and retained asset summaries
// on otwatch/<site>/assets/<ip>. `site` is a text box whose default "+" (the MQTT single-level wildcard) follows every
// site on the broker. Sensor health reads the `sensor` measurement.
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import { ANOMALIES, SENSOR } from "../../src/metrics/schema.ts";
import { MQTT_TOPIC_ROOT } from "../../src/sinks/mqtt-sink.ts";
import { Grid, anomalyAnnotation, baseDashboard, series, table } from "../lib/grafana.ts";
import { InfluxQuery } from "../lib/influxql.ts";
import { bars, lines, mqttStat, mqttTable, single, table as tablePanel } from "../lib/panels.ts";
import { anomalyCount } from "./overview.ts";

/** Topic filters of the live panels, built like the sink's topic builders with the site left as $site. */
export const liveTopics = {
  anomalies: `${MQTT_TOPIC_ROOT}/$site/anomalies/#`,
  critical: `${MQTT_TOPIC_ROOT}/$site/anomalies/critical/#`,
  high: `${MQTT_TOPIC_ROOT}/$site/anomalies/high/#`,
  itToOt: `${MQTT_TOPIC_ROOT}/$site/anomalies/+/zone.it-to-ot`,
  status: `${MQTT_TOPIC_ROOT}/$site/status`,
  assets: `${MQTT_TOPIC_ROOT}/$site/assets/#`,
} as const;

export function liveDashboard(): dashboard.DashboardBuilder {
  const g = new Grid()
    .add(mqttStat("Sensor status", "Retained status of the sensor: online/offline (last will), mode, learning progress.", liveTopics.status), 8, 5)
    .add(bars("Anomalies (history)", "Anomaly records per interval from InfluxDB, by severity.",
      series(anomalyCount().groupByTime().groupBy("severity").fill("none"), "$tag_severity")), 16, 5)
    .add(mqttTable("Live anomalies", "Every anomaly as it is published (flat JSON: ts is packet time, Time is arrival).", liveTopics.anomalies), 24, 10)
    .add(mqttTable("Critical", "Critical anomalies as they are published.", liveTopics.critical), 12, 8)
    .add(mqttTable("High", "High-severity anomalies as they are published.", liveTopics.high), 12, 8)
    .add(mqttTable("IT → OT", "zone.it-to-ot anomalies of any severity: enterprise hosts talking to control zones.", liveTopics.itToOt), 12, 8)
    .add(mqttTable("Assets", "Retained asset summaries (one per IP) and new assets as they appear.", liveTopics.assets), 12, 8)
    .add(
      tablePanel("Latest anomalies (history)", "The 50 most recent anomaly records in InfluxDB, for what happened before this page was opened.",
        table(InfluxQuery.from(ANOMALIES).value("severity").value("kind").value("src").value("dst").value("summary").newestFirst().limit(50))),
      24, 9,
    );
  const d = baseDashboard("otwatch-live", "otwatch / Live anomalies", "Anomalies streamed from the MQTT broker as the appliance publishes them.")
    .time({ from: "now-15m", to: "now" })
    .withVariable(
      new dashboard.TextBoxVariableBuilder("site")
        .label("Site")
        .description("Site name (second topic level); + follows every site.")
        .defaultValue("+")
        .current({ text: "+", value: "+" }),
    )
    .annotation(anomalyAnnotation());
  for (const p of g.panels) d.withPanel(p);
  return d;
}

export function sensorDashboard(): dashboard.DashboardBuilder {
  const s = (field: string, agg: "mean" | "max" | "sum" = "mean"): InfluxQuery => InfluxQuery.from(SENSOR).select(agg, field).groupByTime().fill("none");
  const g = new Grid()
    .add(single("Packets/s", "Latest packets per second.", "pps", "lastNotNull", series(s("packets_per_s"))), 6, 4)
    .add(single("Memory (RSS)", "Latest resident set size of the sensor process.", "bytes", "lastNotNull", series(s("memory_rss", "max"))), 6, 4)
    .add(single("Learning progress", "Learning elapsed / learning duration.", "percentunit", "lastNotNull", series(s("learning_progress", "max"))), 6, 4)
    .add(single("Dropped points", "Points and messages the sinks had to drop (spool full), total.", "short", "lastNotNull", series(s("dropped_points", "max"))), 6, 4)
    .add(lines("Packets per second", "Packets per second of packet time.", "pps", series(s("packets_per_s"), "packets/s")), 12, 8)
    .add(lines("Bytes per second", "Bytes per second of packet time.", "Bps", series(s("bytes_per_s"), "bytes/s")), 12, 8)
    .add(bars("Capture drops", "Packets the capture dropped per interval.", series(s("capture_drops", "sum"), "drops")), 8, 8)
    .add(lines("Active flows", "Flows in the flow table.", "short", series(s("flows_active", "max"), "flows")), 8, 8)
    .add(bars("Events", "Events seen by the aggregator per interval.", series(s("events", "sum"), "events")), 8, 8)
    .add(lines("Memory", "Resident set size and V8 heap.", "bytes", series(s("memory_rss", "max"), "rss", "A"), series(s("memory_heap", "max"), "heap", "B")), 8, 8)
    .add(lines("Learning progress", "Learning elapsed / learning duration (1 = detecting).", "percentunit", series(s("learning_progress", "max"), "learning")).max(1).min(0), 8, 8)
    .add(lines("Spool depth and dropped points", "Points and messages waiting in the sinks' spools, and dropped so far.", "short",
      series(s("spool_depth", "max"), "spool depth", "A"), series(s("dropped_points", "max"), "dropped", "B")), 8, 8);
  const d = baseDashboard("otwatch-sensor", "otwatch / Sensor health", "Capture rate, drops, flow table, memory, learning progress and the sinks' spool.")
    .annotation(anomalyAnnotation());
  for (const p of g.panels) d.withPanel(p);
  return d;
}
