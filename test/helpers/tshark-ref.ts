// Reads the tshark 4.0.17 reference extractions in ../shared/pcaps/ref (see its README.md): TSV rows keyed by column
// name, the capinfos summaries, and the mapping from each reference file to its capture.
import { readdirSync, readFileSync } from "node:fs";
import { basename, extname, join } from "node:path";
import { sharedPath } from "./shared.ts";

export const TSHARK_VERSION = "4.0.17";

/** One TSV row: column name → raw tshark value ("" when absent; multiple occurrences joined with "|"). */
export type RefRow = Record<string, string>;

/** Parses a tshark `-T fields -E header=y -E separator=/t` file. */
export function readRef(path: string): RefRow[] {
  const lines = readFileSync(path, "utf8").split("\n");
  const header = (lines[0] ?? "").split("\t");
  const rows: RefRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (!line) continue;
    const cells = line.split("\t");
    const row: RefRow = {};
    header.forEach((h, j) => (row[h] = cells[j] ?? ""));
    rows.push(row);
  }
  return rows;
}

/** Splits a multi-occurrence field ("a|b|c"); "" gives []. */
export function refList(value: string | undefined): string[] {
  return value ? value.split("|") : [];
}

export interface RefCapture {
  /** Folder under pcaps/ (modbus, opcua, dnp3, …). */
  dir: string;
  /** Capture name without extension. */
  name: string;
  /** Absolute path of the capture file. */
  capture: string;
  /** capinfos + protocol hierarchy summary. */
  summary: string;
  /** Per-protocol TSVs: protocol (modbus, opcua, goose, …) → absolute path. */
  tsvs: Record<string, string>;
}

/** Every capture under ../shared/pcaps with its reference files. */
export function listRefCaptures(): RefCapture[] {
  const root = sharedPath("pcaps");
  const out: RefCapture[] = [];
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (!dir.isDirectory() || dir.name === "ref") continue;
    for (const file of readdirSync(join(root, dir.name)).sort()) {
      const name = basename(file, extname(file));
      const refDir = join(root, "ref", dir.name);
      const tsvs: Record<string, string> = {};
      for (const r of readdirSync(refDir)) {
        const m = /^(.*)\.([a-z0-9]+)\.tshark-[0-9.]+\.tsv$/.exec(r);
        if (m && m[1] === name && m[2]) tsvs[m[2]] = join(refDir, r);
      }
      out.push({ dir: dir.name, name, capture: join(root, dir.name, file), summary: join(refDir, `${name}.summary.tshark-${TSHARK_VERSION}.txt`), tsvs });
    }
  }
  return out;
}

/** Every reference TSV with its capture and protocol. */
export function listRefTsvs(): Array<{ proto: string; tsv: string; capture: string; name: string }> {
  return listRefCaptures().flatMap((c) => Object.entries(c.tsvs).map(([proto, tsv]) => ({ proto, tsv, capture: c.capture, name: c.name })));
}

/** "Number of packets" from a capinfos summary. */
export function summaryPacketCount(summaryPath: string): number {
  const m = /^Number of packets:\s+(\d+)/m.exec(readFileSync(summaryPath, "utf8"));
  if (!m?.[1]) throw new Error(`no packet count in ${summaryPath}`);
  return Number(m[1]);
}

/** frame.time_epoch ("1352718180.264400000") as integer microseconds, exact (no float parsing of the whole value). */
export function epochMicros(value: string): number {
  const [sec = "0", frac = ""] = value.split(".");
  return Number(sec) * 1e6 + Math.round(Number((frac + "000000000").slice(0, 9)) / 1000);
}
