// The behaviour analyzers (network behaviour across the IT/OT boundary), one factory for the engine to register.
// They read core flow/ARP events and the DNS/HTTP/TLS event shapes of ./types.ts; none imports protocols/.

import type { ConduitConfig } from "../../config/site.ts";
import type { Counters } from "../../core/counters.ts";
import type { Analyzer } from "../types.ts";
import { BeaconAnalyzer } from "./beacon.ts";
import { DnsTunnelAnalyzer } from "./dns-tunnel.ts";
import { ExfilAnalyzer } from "./exfil.ts";
import { LateralAnalyzer } from "./lateral.ts";
import { ScanAnalyzer } from "./scan.ts";

export { BeaconAnalyzer } from "./beacon.ts";
export { DnsTunnelAnalyzer } from "./dns-tunnel.ts";
export { ExfilAnalyzer } from "./exfil.ts";
export { LateralAnalyzer } from "./lateral.ts";
export { ScanAnalyzer } from "./scan.ts";

/** Anomaly kinds the behaviour analyzers emit. */
export const BEHAVIOUR_KINDS: readonly string[] = [
  "net.beacon", "dns.tunnel", "net.exfil", "net.port-scan", "net.host-scan", "net.syn-sweep", "net.arp-sweep",
  "net.new-remote-service", "net.brute-force", "net.long-connection",
];

export interface BehaviourOptions {
  /** The site config's conduits (allowed zone crossings); remote-admin sessions over them are not "new crossings". */
  conduits?: readonly Pick<ConduitConfig, "from" | "to" | "service">[];
  /** Where drops at the analyzers' total bounds are counted (`detect.scan.dropped.targets`, `detect.lateral.dropped.attempts`). */
  counters?: Counters;
}

/** Fresh instances of every behaviour analyzer (each keeps its own learned model). */
export function createBehaviourAnalyzers(opts: BehaviourOptions = {}): Analyzer[] {
  return [new BeaconAnalyzer(), new DnsTunnelAnalyzer(), new ExfilAnalyzer(), new ScanAnalyzer(opts.counters), new LateralAnalyzer({ conduits: opts.conduits, counters: opts.counters })];
}
