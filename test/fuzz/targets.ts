// The fuzz targets: one per dissector, each with its seeds, transport and well-known port. The IT dissectors (DNS, HTTP,
// TLS) are fuzzed even while protocols/index.ts does not list them, since integrators may enable them.
import { dnsDissector, dnsTcpDissector } from "../../protocols/dns/index.ts";
import { httpDissector } from "../../protocols/http/index.ts";
import { modbusDissector } from "../../protocols/modbus/index.ts";
import { opcuaDissector } from "../../protocols/opcua/index.ts";
import { tlsDissector } from "../../protocols/tls/index.ts";
import type { FuzzTarget } from "./harness.ts";
import { dnsSeeds, dnsTcpSeeds, httpSeeds, modbusSeeds, opcuaSeeds, tlsSeeds } from "./seeds.ts";

export function fuzzTargets(): FuzzTarget[] {
  return [
    { name: "modbus", dissectors: [modbusDissector, opcuaDissector], transport: "tcp", port: 502, seeds: modbusSeeds() },
    { name: "opcua", dissectors: [opcuaDissector, modbusDissector], transport: "tcp", port: 4840, seeds: opcuaSeeds() },
    { name: "dns-udp", dissectors: [dnsDissector], transport: "udp", port: 53, seeds: dnsSeeds() },
    { name: "dns-tcp", dissectors: [dnsTcpDissector], transport: "tcp", port: 53, seeds: dnsTcpSeeds() },
    { name: "http", dissectors: [httpDissector, tlsDissector], transport: "tcp", port: 80, seeds: httpSeeds() },
    { name: "tls", dissectors: [tlsDissector, httpDissector], transport: "tcp", port: 443, seeds: tlsSeeds() },
  ];
}
