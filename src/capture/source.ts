// Reads a capture file (or stdin for "-") in large chunks and streams it through a CaptureReader.
// Frames are delivered synchronously from inside the read loop; see reader.ts for the lifetime of frame.data.
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Frame } from "../core/types.ts";
import type { Counters } from "../core/counters.ts";
import { CaptureReader } from "./reader.ts";

/** Read size for capture files: large chunks keep the per-chunk overhead (and carry-over copies) negligible. */
export const READ_CHUNK_BYTES = 1024 * 1024;

export interface ReadCaptureOptions {
  onProgress?: (bytesRead: number, totalBytes: number | undefined) => void;
}

/**
 * Streams `source` (a path, or "-" for stdin) through the capture reader. Resolves at end of input; a truncated last
 * record or garbage record is counted (capture.truncated-record / capture.bad-record), not thrown. Rejects when the file
 * cannot be opened or when its content is neither pcap nor pcapng.
 */
export async function readCapture(
  source: string,
  onFrame: (f: Frame) => void,
  counters: Counters,
  opts?: ReadCaptureOptions,
): Promise<void> {
  let stream: Readable;
  let total: number | undefined;
  if (source === "-") {
    stream = process.stdin;
  } else {
    const st = await stat(source);
    total = st.isFile() ? st.size : undefined;
    stream = createReadStream(source, { highWaterMark: READ_CHUNK_BYTES });
  }
  const reader = new CaptureReader(onFrame, counters);
  let bytes = 0;
  const onProgress = opts?.onProgress;
  for await (const chunk of stream) {
    const buf = chunk as Uint8Array;
    bytes += buf.length;
    reader.push(buf);
    onProgress?.(bytes, total);
  }
  reader.end();
  if (bytes > 0 && reader.format === undefined && counters.get("capture.unknown-format") > 0) {
    throw new Error(`${source === "-" ? "stdin" : source}: not a pcap or pcapng capture (unknown magic number)`);
  }
}
