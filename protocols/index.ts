// The protocol modules otwatch knows. Adding a protocol = a new folder + one entry here; nothing in src/ changes.
// Order matters only where two dissectors claim the same port or both probe yes: the first wins (the OT protocols
// come first: their probes are the strictest).
import type { Dissector } from "../src/core/types.ts";
import type { Analyzer } from "../src/detect/types.ts";
import type { MetricContributor } from "../src/metrics/aggregator.ts";
import { createModbusAnalyzer } from "./modbus/detectors.ts";
import { modbusDissector } from "./modbus/index.ts";
import { createModbusMetrics } from "./modbus/metrics.ts";
import { createOpcuaAnalyzer } from "./opcua/detectors.ts";
import { opcuaDissector } from "./opcua/index.ts";
import { createOpcuaMetrics } from "./opcua/metrics.ts";
import { dnsDissector, dnsTcpDissector } from "./dns/index.ts";
import { httpDissector } from "./http/index.ts";
import { tlsDissector } from "./tls/index.ts";

/** One protocol: its dissector, and optionally what it learns/detects and the metrics it contributes. */
export interface ProtocolModule {
  readonly dissector: Dissector;
  readonly createAnalyzer?: () => Analyzer;
  readonly createMetrics?: () => MetricContributor;
}

export const protocolModules: readonly ProtocolModule[] = [
  { dissector: modbusDissector, createAnalyzer: createModbusAnalyzer, createMetrics: createModbusMetrics },
  { dissector: opcuaDissector, createAnalyzer: createOpcuaAnalyzer, createMetrics: createOpcuaMetrics },
  { dissector: dnsDissector },
  { dissector: dnsTcpDissector },
  { dissector: httpDissector },
  { dissector: tlsDissector },
];

export const dissectors: readonly Dissector[] = protocolModules.map((m) => m.dissector);

/** Fresh analyzers (each keeps its own learned model) of every protocol that has one. */
export function createAnalyzers(): Analyzer[] {
  return protocolModules.flatMap((m) => (m.createAnalyzer ? [m.createAnalyzer()] : []));
}

export function createMetricContributors(): MetricContributor[] {
  return protocolModules.flatMap((m) => (m.createMetrics ? [m.createMetrics()] : []));
}
