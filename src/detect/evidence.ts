// Reading an anomaly back for "learn this": its evidence (compact JSON written by the detectors, AnomalyDraft.evidence)
// as a plain object and its packet time in seconds. Shared by the protocols' accept.ts; unreadable input is refused
// (undefined), never thrown, because the anomaly may come from an older version or an API caller.

import type { Anomaly } from "./types.ts";

/** The evidence object, or undefined when the text is not JSON or not an object. */
export function parseEvidence(anomaly: Anomaly): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(anomaly.evidence);
    return parsed !== null && typeof parsed === "object" ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The anomaly's packet time in seconds since the epoch; 0 when its ts is not a date. */
export function anomalySeconds(anomaly: Anomaly): number {
  const t = Date.parse(anomaly.ts) / 1000;
  return Number.isFinite(t) ? t : 0;
}
