// Child process for the MQTT sink tests (run with tsx): an MqttSink on argv url/site/spoolDir that queues `count`
// anomalies, prints "queued", then idles until killed — the test kills it with SIGKILL (last will, spool after kill -9).
import { anomaly } from "../../test/helpers/metric-fixtures.ts";
import { MqttSink } from "./mqtt-sink.ts";

const [url, site, spoolDir, countText] = process.argv.slice(2);
if (!url || !site || !spoolDir) throw new Error("usage: mqtt-child.fixture.ts URL SITE SPOOLDIR COUNT");
const sink = new MqttSink({ url, site, spoolDir, log: () => undefined, reconnectPeriodMs: 100 });
sink.setStatus({ mode: "detecting", learningProgress: 1 });
const count = Number(countText ?? "0");
for (let i = 0; i < count; i++) sink.publishAnomaly(anomaly(i, 1_700_000_000 + i));
process.stdout.write("queued\n");
setInterval(() => process.stdout.write(sink.connected ? "connected\n" : "waiting\n"), 50);
