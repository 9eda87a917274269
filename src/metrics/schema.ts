// The InfluxDB schema of otwatch: every measurement, its tags and fields, in one place that the aggregator, the sinks,
// the Grafana dashboards and the tests all read (issue 4 §1). Aggregates cover one window of PACKET time
// (METRIC_WINDOW_S) and are timestamped at the window start; anomalies are one point each at their packet time.
//
// Cardinality: tags hold only values from bounded sets — zone names, protocol/service names, function codes, severity,
// kind, and host-derived channels whose number is capped by MAX_TAG_VALUES per tag (values beyond the cap become
// OVERFLOW_TAG and are counted as `metrics.tag.overflow`), so a scan that touches thousands of hosts cannot create
// thousands of series. The Influx sink may add fixed tags to every point (option `tags`, e.g. site) when several
// sensors share one database. Never a register address, transaction id, request id or flow id. Every number is written as an
// InfluxDB float (one field type forever: no type-conflict rejections), strings as strings.

/** Length of one aggregation window, seconds of packet time. */
export const METRIC_WINDOW_S = 10;
/** Distinct values a host-derived tag (channel, server, vendor …) may take before new ones map to OVERFLOW_TAG. */
export const MAX_TAG_VALUES = 2000;
export const OVERFLOW_TAG = "other";
/** Samples kept per (series, window) for response-time percentiles: exact up to this count, reservoir-sampled beyond. */
export const RTT_RESERVOIR_SIZE = 128;

/** Database and retention policies created by the Influx sink. */
export const DEFAULT_DATABASE = "otwatch";
/** Raw window aggregates (default RP: points are written without an explicit RP, which also suits InfluxDB 2.x DBRP). */
export const RP_RAW = "raw";
export const RP_RAW_DURATION = "30d";
/** Downsampled copies made by continuous queries. */
export const RP_LONG = "long";
export const RP_LONG_DURATION = "365d";
export const DOWNSAMPLE_INTERVAL = "5m";

export type FieldValue = number | string;

/** One point, ready for any time-series store. `time` is integer MICROseconds since the Unix epoch (safe in a double). */
export interface MetricPoint {
  readonly measurement: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldValue>>;
  readonly time: number;
}

/** How a field is folded into the long RP: sum of counts, mean/max of gauges; "none" = not downsampled. */
export type Downsample = "sum" | "mean" | "max" | "last" | "none";

export interface FieldSpec {
  readonly type: "float" | "string";
  readonly unit: string;
  readonly downsample: Downsample;
  readonly doc: string;
}

export interface MeasurementSpec {
  readonly name: string;
  readonly doc: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly fields: Readonly<Record<string, FieldSpec>>;
}

const count = (doc: string): FieldSpec => ({ type: "float", unit: "count", downsample: "sum", doc });
const gauge = (unit: string, doc: string, downsample: Downsample = "mean"): FieldSpec => ({ type: "float", unit, downsample, doc });
const text = (doc: string): FieldSpec => ({ type: "string", unit: "", downsample: "none", doc });

export const TRAFFIC: MeasurementSpec = {
  name: "traffic",
  doc:
    "IP traffic per window by zone pair and protocol. A flow's packets and bytes are counted in the window where the flow " +
    "ENDS (flow.end carries the totals; long-lived flows appear at their end, or at the end of the capture); flows_started " +
    "in the window of its flow.start.",
  tags: {
    src_zone: "zone of the client (originator); 'unknown' or 'internet' outside every zone",
    dst_zone: "zone of the server (responder)",
    protocol: "protocol module name (modbus, opcua …) or the transport (tcp, udp) when none claimed the flow",
  },
  fields: {
    packets: count("packets of flows that ended in the window, both directions"),
    bytes: count("IP bytes of flows that ended in the window, both directions"),
    bytes_to_server: count("IP bytes client → server of flows that ended in the window"),
    bytes_to_client: count("IP bytes server → client of flows that ended in the window"),
    flows: count("flows that ended in the window"),
    flows_started: count("flows that started in the window"),
    flows_rejected: count("TCP connections refused or unanswered (scans), by end window"),
  },
};

export const MODBUS: MeasurementSpec = {
  name: "modbus",
  doc: "Modbus/TCP transactions per window, per channel (client → server / unit) and function code.",
  tags: {
    channel: "'<client>→<server>/<unit>' (capped by MAX_TAG_VALUES)",
    server: "PLC address (capped)",
    fc: "function code, decimal, without the exception bit",
    fc_name: "function code name",
  },
  fields: {
    requests: count("transactions (requests seen, with or without a response)"),
    exceptions: count("exception responses"),
    timeouts: count("requests never answered"),
    unsolicited: count("responses without a request"),
    writes: count("transactions of a write function code (5, 6, 15, 16, 22, 23)"),
    rtt_p50: gauge("s", "median response time"),
    rtt_p95: gauge("s", "95th percentile response time", "max"),
    rtt_max: gauge("s", "largest response time", "max"),
  },
};

export const OPCUA: MeasurementSpec = {
  name: "opcua",
  doc:
    "OPC UA per window, per channel (client → server) and service. Service names come from the dissector; unknown " +
    "type ids are folded into 'Unknown'. Pseudo-services: '(secure)' for MSG chunks of signed/encrypted channels, " +
    "'(channel)' for OpenSecureChannel/Close, '(error)' for ERR messages.",
  tags: {
    channel: "'<client>→<server>' (capped)",
    server: "server address (capped)",
    service: "service name (Read, Write, Browse, Call, CreateSession …) or a pseudo-service",
    security_mode: "None, Sign, SignAndEncrypt, Invalid or unknown",
  },
  fields: {
    calls: count("service calls (or secure messages / channel actions / errors for pseudo-services)"),
    faults: count("ServiceFault responses or bad ServiceResult"),
    timeouts: count("requests never answered"),
    bytes: count("bytes of '(secure)' messages"),
    rtt_p50: gauge("s", "median response time"),
    rtt_p95: gauge("s", "95th percentile response time", "max"),
    rtt_max: gauge("s", "largest response time", "max"),
  },
};

export const ASSETS: MeasurementSpec = {
  name: "assets",
  doc: "Asset inventory per window: how many assets per zone, role and vendor, and how many were first seen in the window.",
  tags: {
    zone: "zone name",
    role: "role from the inventory (plc, hmi, engineering, server, …)",
    vendor: "vendor from device identification or the MAC OUI, 'unknown' when none (capped)",
  },
  fields: {
    count: gauge("count", "assets known at the end of the window", "last"),
    new: count("assets first seen in the window"),
  },
};

export const ANOMALIES: MeasurementSpec = {
  name: "anomalies",
  doc: "One point per anomaly record at its packet time (for tables and Grafana annotations); fields carry the record.",
  tags: {
    kind: "stable anomaly id, e.g. modbus.new-function-code",
    severity: "low, medium, high, critical",
    protocol: "protocol of the anomaly",
    src_zone: "zone of src",
    dst_zone: "zone of dst",
  },
  fields: {
    id: text("anomaly id"),
    summary: text("one sentence naming the violated baseline fact"),
    src: text("source address"),
    dst: text("destination address"),
    attack: text("ATT&CK technique ids, comma-separated"),
    count: gauge("count", "times it fired (aggregated)", "sum"),
  },
};

export const SENSOR: MeasurementSpec = {
  name: "sensor",
  doc: "Sensor health per window.",
  tags: {},
  fields: {
    packets_per_s: gauge("pps", "packets per second of packet time"),
    bytes_per_s: gauge("Bps", "bytes per second of packet time"),
    capture_drops: count("packets the capture dropped in the window"),
    flows_active: gauge("count", "flows in the flow table", "max"),
    events: count("events seen by the aggregator in the window"),
    memory_rss: gauge("bytes", "resident set size", "max"),
    memory_heap: gauge("bytes", "V8 heap used", "max"),
    learning_progress: gauge("ratio", "learning elapsed / learning duration, 0..1", "max"),
    spool_depth: gauge("count", "points and messages waiting in the sinks' spools", "max"),
    dropped_points: gauge("count", "points and messages the sinks dropped so far (spool full)", "max"),
  },
};

export const MEASUREMENTS: readonly MeasurementSpec[] = [TRAFFIC, MODBUS, OPCUA, ASSETS, ANOMALIES, SENSOR];

export function measurementSpec(name: string): MeasurementSpec | undefined {
  return MEASUREMENTS.find((m) => m.name === name);
}

/** Window start (seconds) holding packet time `ts`. */
export function windowStart(ts: number, windowS = METRIC_WINDOW_S): number {
  return Math.floor(ts / windowS) * windowS;
}

/** Packet time (seconds, float) → integer microseconds. */
export function toMicros(ts: number): number {
  return Math.round(ts * 1e6);
}

/**
 * Continuous queries that fill RP_LONG from RP_RAW, derived from the field specs (sum of counts, mean/max/last of
 * gauges). RESAMPLE … FOR 2h so windows written late (a sink back from an outage of up to 2 h) are still folded in.
 */
export function continuousQueries(database = DEFAULT_DATABASE): { name: string; query: string; resample: string }[] {
  const out: { name: string; query: string; resample: string }[] = [];
  for (const m of MEASUREMENTS) {
    const selects = Object.entries(m.fields)
      .filter(([, f]) => f.downsample !== "none")
      .map(([name, f]) => `${f.downsample}("${name}") AS "${name}"`);
    if (selects.length === 0) continue;
    out.push({
      name: `cq_${m.name}_${DOWNSAMPLE_INTERVAL}`,
      query:
        `SELECT ${selects.join(", ")} INTO "${database}"."${RP_LONG}"."${m.name}" FROM "${database}"."${RP_RAW}"."${m.name}" ` +
        `GROUP BY time(${DOWNSAMPLE_INTERVAL}), *`,
      resample: `RESAMPLE EVERY ${DOWNSAMPLE_INTERVAL} FOR 2h`,
    });
  }
  return out;
}
