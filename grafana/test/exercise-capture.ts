// A capture that exercises every dashboard panel, built at test time in a temporary folder (captures are never copied
// into the repo): the labelled plant-a capture (learning, then attacks) merged with three public captures from
// ../shared/pcaps, time-shifted into plant-a's detection period, for what plant-a never shows:
//   - modbus/modbus_test_data_part1.pcap: Modbus exception responses (FC1 codes 05/06, FC8 code 0x0B), unanswered
//     requests (timeouts) and unsolicited responses;
//   - opcua/open62541_client-server_mainloop-ActivateSession-diagInfo.pcap: OPC UA ServiceFaults;
//   - opcua/open62541_client-server_encrypted.pcap: a SignAndEncrypt secure channel ('(secure)' bytes, security mode).
// The whole result is then moved by whole days so that it ends one to two days before now: the points fall inside the
// default retention policies (raw 30 d, long 365 d) like a live sensor's, and windows stay aligned (days are whole
// multiples of the 10 s window). editcap shifts timestamps, mergecap merges chronologically (pcapng, per-packet link
// types: Ethernet + loopback).
import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface Supplement {
  /** Path under ../shared/pcaps. */
  path: string;
  /** Seconds after the start of the detection period where its first packet lands. */
  at: number;
}

export const SUPPLEMENTS: readonly Supplement[] = [
  { path: "modbus/modbus_test_data_part1.pcap", at: 60 },
  { path: "opcua/open62541_client-server_mainloop-ActivateSession-diagInfo.pcap", at: 300 },
  { path: "opcua/open62541_client-server_encrypted.pcap", at: 400 },
];

async function firstPacketTime(file: string): Promise<number> {
  // capinfos -a: earliest packet time; -S: epoch seconds; -T -r: one tab-separated line without header.
  const { stdout } = await run("capinfos", ["-a", "-S", "-T", "-r", file]);
  const t = Number(stdout.trim().split("\t")[1]);
  if (!Number.isFinite(t)) throw new Error(`capinfos gave no first packet time for ${file}: ${stdout}`);
  return t;
}

export interface ExerciseCapture {
  path: string;
  /** Seconds every packet was moved by (whole days): add to times taken from the base capture's labels. */
  shift: number;
}

/** Writes <dir>/exercise.pcapng: `base` plus the supplements at `detectFrom` + at, all moved to the recent past. */
export async function buildExerciseCapture(base: string, pcapsDir: string, detectFrom: number, dir: string): Promise<ExerciseCapture> {
  const { stdout } = await run("capinfos", ["-e", "-S", "-T", "-r", base]);
  const baseEnd = Number(stdout.trim().split("\t")[1]);
  if (!Number.isFinite(baseEnd)) throw new Error(`capinfos gave no last packet time for ${base}: ${stdout}`);
  const shift = (Math.floor((Date.now() / 1000 - baseEnd) / 86_400) - 1) * 86_400;
  const movedBase = join(dir, "base.pcapng");
  await run("editcap", ["-F", "pcapng", "-t", String(shift), base, movedBase]);
  const parts = [movedBase];
  for (const [i, s] of SUPPLEMENTS.entries()) {
    const src = join(pcapsDir, s.path);
    const by = detectFrom + shift + s.at - (await firstPacketTime(src));
    const out = join(dir, `supplement-${i}.pcapng`);
    await run("editcap", ["-F", "pcapng", "-t", by.toFixed(6), src, out]);
    parts.push(out);
  }
  const merged = join(dir, "exercise.pcapng");
  await run("mergecap", ["-F", "pcapng", "-w", merged, ...parts]);
  return { path: merged, shift };
}
