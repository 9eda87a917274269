// Modbus and OPC UA dashboards (issue 4 §4): per channel and function code / service — requests (calls), exceptions
// (faults), timeouts, response time p50/p95, writes, OPC UA security modes. Server → channel → function code/service
// are chained template variables; the protocol's anomalies are annotations.
import type { DashboardBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { MODBUS, OPCUA } from "../../src/metrics/schema.ts";
import { Grid, anomalyAnnotation, baseDashboard, series, table, tagVariable } from "../lib/grafana.ts";
import { InfluxQuery } from "../lib/influxql.ts";
import { activity, bars, lines, single, table as tablePanel } from "../lib/panels.ts";

function build(d: DashboardBuilder, g: Grid): DashboardBuilder {
  for (const p of g.panels) d.withPanel(p);
  return d;
}

export function modbusDashboard(): DashboardBuilder {
  const m = (): InfluxQuery =>
    InfluxQuery.from(MODBUS).whereVar("server", "server").whereVar("channel", "channel").whereVar("fc", "fc");
  const perWindow = (field: string, agg: "sum" | "mean" | "max", ...by: string[]): InfluxQuery =>
    m().select(agg, field).groupByTime().groupBy(...by).fill("none");
  const total = (field: string): InfluxQuery => m().select("sum", field).groupByTime().fill("none");
  const g = new Grid()
    .add(single("Requests", "Modbus transactions in the time range.", "short", "sum", series(total("requests"))), 6, 4)
    .add(single("Exceptions", "Exception responses in the time range.", "short", "sum", series(total("exceptions"))), 6, 4)
    .add(single("Timeouts", "Requests never answered in the time range.", "short", "sum", series(total("timeouts"))), 6, 4)
    .add(single("Writes", "Transactions of a write function code (5, 6, 15, 16, 22, 23).", "short", "sum", series(total("writes"))), 6, 4)
    .add(bars("Requests per channel", "Transactions per interval, per client → server/unit.", series(perWindow("requests", "sum", "channel"), "$tag_channel")), 12, 8)
    .add(bars("Requests per function code", "Transactions per interval, per function code.", series(perWindow("requests", "sum", "fc_name"), "$tag_fc_name")), 12, 8)
    .add(lines("Response time p50 per channel", "Median response time per window (mean over the interval).", "s", series(perWindow("rtt_p50", "mean", "channel"), "$tag_channel")), 12, 8)
    .add(lines("Response time p95 per channel", "95th percentile response time per window (max over the interval).", "s", series(perWindow("rtt_p95", "max", "channel"), "$tag_channel")), 12, 8)
    .add(bars("Exceptions per channel and function code", "Exception responses per interval.", series(perWindow("exceptions", "sum", "channel", "fc_name"), "$tag_channel $tag_fc_name")), 8, 8)
    .add(bars("Timeouts per channel", "Requests never answered, per interval.", series(perWindow("timeouts", "sum", "channel"), "$tag_channel")), 8, 8)
    .add(bars("Writes per channel and function code", "Write transactions per interval.", series(perWindow("writes", "sum", "channel", "fc_name"), "$tag_channel $tag_fc_name")), 8, 8)
    .add(
      tablePanel(
        "Channels and function codes",
        "Per channel and function code in the time range: transactions, writes, exceptions, timeouts, worst p95.",
        table(m().select("sum", "requests").select("sum", "writes").select("sum", "exceptions").select("sum", "timeouts").select("max", "rtt_p95").groupBy("channel", "fc", "fc_name")),
      ),
      24, 10,
    );
  const d = baseDashboard("otwatch-modbus", "otwatch / Modbus", "Modbus/TCP polling health per channel (client → server/unit) and function code.")
    .withVariable(tagVariable("server", "PLC", MODBUS, "server"))
    .withVariable(tagVariable("channel", "Channel", MODBUS, "channel", [["server", "server"]]))
    .withVariable(tagVariable("fc", "Function code", MODBUS, "fc", [["channel", "channel"]]))
    .annotation(anomalyAnnotation("Modbus anomalies", (q) => q.where("protocol", "=", "modbus")));
  return build(d, g);
}

export function opcuaDashboard(): DashboardBuilder {
  const o = (): InfluxQuery =>
    InfluxQuery.from(OPCUA).whereVar("server", "server").whereVar("channel", "channel").whereVar("service", "service");
  const perWindow = (field: string, agg: "sum" | "mean" | "max", ...by: string[]): InfluxQuery =>
    o().select(agg, field).groupByTime().groupBy(...by).fill("none");
  const total = (field: string): InfluxQuery => o().select("sum", field).groupByTime().fill("none");
  const g = new Grid()
    .add(single("Calls", "Service calls in the time range.", "short", "sum", series(total("calls"))), 6, 4)
    .add(single("Faults", "ServiceFault responses or bad ServiceResults in the time range.", "short", "sum", series(total("faults"))), 6, 4)
    .add(single("Timeouts", "Requests never answered in the time range.", "short", "sum", series(total("timeouts"))), 6, 4)
    .add(
      single("Sessions created", "CreateSession calls in the time range.", "short", "sum",
        series(InfluxQuery.from(OPCUA).whereVar("server", "server").whereVar("channel", "channel").where("service", "=", "CreateSession").select("sum", "calls").groupByTime().fill("none"))),
      6, 4,
    )
    .add(bars("Calls per channel", "Service calls per interval, per client → server.", series(perWindow("calls", "sum", "channel"), "$tag_channel")), 12, 8)
    .add(bars("Calls per service", "Service calls per interval, per service.", series(perWindow("calls", "sum", "service"), "$tag_service")), 12, 8)
    .add(lines("Response time p50 per service", "Median response time per window (mean over the interval).", "s", series(perWindow("rtt_p50", "mean", "service"), "$tag_service")), 12, 8)
    .add(lines("Response time p95 per service", "95th percentile response time per window (max over the interval).", "s", series(perWindow("rtt_p95", "max", "service"), "$tag_service")), 12, 8)
    .add(bars("Faults per service", "ServiceFaults and bad results per interval.", series(perWindow("faults", "sum", "service"), "$tag_service")), 12, 8)
    .add(bars("Timeouts per channel", "Requests never answered, per interval.", series(perWindow("timeouts", "sum", "channel"), "$tag_channel")), 12, 8)
    .add(bars("Secure channel bytes", "Bytes of signed/encrypted MSG chunks ('(secure)': services are not readable), per channel and security mode.",
      series(InfluxQuery.from(OPCUA).whereVar("server", "server").whereVar("channel", "channel").where("service", "=", "(secure)")
        .select("sum", "bytes").groupByTime().groupBy("channel", "security_mode").fill("none"), "$tag_channel $tag_security_mode")).unit("decbytes"), 12, 8)
    .add(activity("Security mode per channel", "Which message security mode (None, Sign, SignAndEncrypt) each channel used when: one row per channel and mode.",
      series(o().select("sum", "calls").groupByTime().groupBy("channel", "security_mode").fill("none"), "$tag_channel $tag_security_mode")), 12, 8)
    .add(
      tablePanel(
        "Channels, services and security modes",
        "Per channel, service and security mode in the time range: calls, faults, timeouts, worst p95.",
        table(o().select("sum", "calls").select("sum", "faults").select("sum", "timeouts").select("max", "rtt_p95").groupBy("channel", "service", "security_mode")),
      ),
      24, 10,
    );
  const d = baseDashboard("otwatch-opcua", "otwatch / OPC UA", "OPC UA sessions per channel (client → server) and service, with security modes.")
    .withVariable(tagVariable("server", "Server", OPCUA, "server"))
    .withVariable(tagVariable("channel", "Channel", OPCUA, "channel", [["server", "server"]]))
    .withVariable(tagVariable("service", "Service", OPCUA, "service", [["channel", "channel"]]))
    .annotation(anomalyAnnotation("OPC UA anomalies", (q) => q.where("protocol", "=", "opcua")));
  return build(d, g);
}
