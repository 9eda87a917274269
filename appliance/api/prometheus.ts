// Prometheus text exposition format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/): one HELP and
// TYPE line per metric family, then its samples; label values escaped (\\, \", \n). Counter names end in _total.

import type { MetricSample } from "./handle.ts";

export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

const escapeLabel = (v: string): string => v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
const escapeHelp = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Number.POSITIVE_INFINITY) return "+Inf";
  if (v === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(v);
}

export function formatPrometheus(samples: readonly MetricSample[]): string {
  const families = new Map<string, MetricSample[]>();
  for (const s of samples) {
    const list = families.get(s.name);
    if (list) list.push(s);
    else families.set(s.name, [s]);
  }
  let out = "";
  for (const [name, list] of families) {
    const first = list[0] as MetricSample;
    out += `# HELP ${name} ${escapeHelp(first.help)}\n# TYPE ${name} ${first.type}\n`;
    for (const s of list) {
      const labels = s.labels ? Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",") : "";
      out += `${name}${labels ? `{${labels}}` : ""} ${formatValue(s.value)}\n`;
    }
  }
  return out;
}
