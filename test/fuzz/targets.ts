// The fuzz targets: one per dissector, each with its seeds, transport and well-known port. The IT dissectors (DNS, HTTP,
// TLS) are fuzzed even while protocols/index.ts does not list them, since integrators may enable them.
import { dnsDissector, dnsTcpDissector } from "../../protocols/dns/index.ts";
import { httpDissector } from "../../protocols/http/index.ts";
import { modbusDissector } from "../../protocols/modbus/index.ts";
import { opcuaDissector } from "../../protocols/opcua/index.ts";
import { tlsDissector } from "../../protocols/tls/index.ts";
import { adu } from "../../protocols/modbus/fixtures.ts";
import type { FuzzTarget } from "./harness.ts";
import type { Seed } from "./mutate.ts";
import { dnsSeeds, dnsTcpSeeds, httpSeeds, modbusSeeds, opcuaSeeds, tlsSeeds } from "./seeds.ts";

/** A read holding registers request whose transaction id is n (mod 2^16). */
function modbusFlood(n: number): Uint8Array {
  return adu(n & 0xffff, 1, "03 0000 000a");
}

/** A real clear, whole (not segment-cut) MSG request from the seeds with its sequence number and request id (Part 6 §6.7.2.4) set to n. */
function opcuaFlood(seeds: readonly Seed[]): (n: number) => Uint8Array {
  const whole = (b: Uint8Array): boolean => b.length > 32 && new DataView(b.buffer, b.byteOffset).getUint32(4, true) === b.length;
  const base = seeds.find((s) => s.dir === 0 && whole(s.bytes) && String.fromCharCode(...s.bytes.subarray(0, 4)) === "MSGF");
  if (base === undefined) throw new Error("no MSG request among the OPC UA seeds");
  return (n) => {
    const b = base.bytes.slice();
    const v = new DataView(b.buffer);
    v.setUint32(16, n >>> 0, true);
    v.setUint32(20, n >>> 0, true);
    return b;
  };
}

export function fuzzTargets(): FuzzTarget[] {
  const ua = opcuaSeeds();
  return [
    { name: "modbus", dissectors: [modbusDissector, opcuaDissector], transport: "tcp", port: 502, seeds: modbusSeeds(), floodRequest: modbusFlood },
    { name: "opcua", dissectors: [opcuaDissector, modbusDissector], transport: "tcp", port: 4840, seeds: ua, floodRequest: opcuaFlood(ua) },
    { name: "dns-udp", dissectors: [dnsDissector], transport: "udp", port: 53, seeds: dnsSeeds() },
    { name: "dns-tcp", dissectors: [dnsTcpDissector], transport: "tcp", port: 53, seeds: dnsTcpSeeds() },
    { name: "http", dissectors: [httpDissector, tlsDissector], transport: "tcp", port: 80, seeds: httpSeeds() },
    { name: "tls", dissectors: [tlsDissector, httpDissector], transport: "tcp", port: 443, seeds: tlsSeeds() },
  ];
}
