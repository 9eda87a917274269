// The protocol modules otwatch knows: each dissector (protocols/dissectors.ts, in its order) with what it learns/detects and
// the metrics it contributes. Adding a protocol = a new folder + one entry in dissectors.ts (and here if it has an analyzer
// or metrics); nothing in src/ changes.
import type { Dissector } from "../src/core/types.ts";
import type { Analyzer } from "../src/detect/types.ts";
import type { MetricContributor } from "../src/metrics/aggregator.ts";
import { dissectors } from "./dissectors.ts";
import { createModbusAnalyzer } from "./modbus/detectors.ts";
import { modbusDissector } from "./modbus/index.ts";
import { createModbusMetrics } from "./modbus/metrics.ts";
import { createOpcuaAnalyzer } from "./opcua/detectors.ts";
import { opcuaDissector } from "./opcua/index.ts";
import { createOpcuaMetrics } from "./opcua/metrics.ts";

/** One protocol: its dissector, and optionally what it learns/detects and the metrics it contributes. */
export interface ProtocolModule {
  readonly dissector: Dissector;
  readonly createAnalyzer?: () => Analyzer;
  readonly createMetrics?: () => MetricContributor;
}

const extras = new Map<Dissector, Omit<ProtocolModule, "dissector">>([
  [modbusDissector, { createAnalyzer: createModbusAnalyzer, createMetrics: createModbusMetrics }],
  [opcuaDissector, { createAnalyzer: createOpcuaAnalyzer, createMetrics: createOpcuaMetrics }],
]);

export const protocolModules: readonly ProtocolModule[] = dissectors.map((d) => ({ dissector: d, ...extras.get(d) }));

export { dissectors };

/** Fresh analyzers (each keeps its own learned model) of every protocol that has one. */
export function createAnalyzers(): Analyzer[] {
  return protocolModules.flatMap((m) => (m.createAnalyzer ? [m.createAnalyzer()] : []));
}

export function createMetricContributors(): MetricContributor[] {
  return protocolModules.flatMap((m) => (m.createMetrics ? [m.createMetrics()] : []));
}
