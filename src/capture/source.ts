// Reads a capture file (or stdin for "-") in large chunks and streams it through a CaptureReader.
// Frames are delivered synchronously from inside the read loop; see reader.ts for the lifetime of frame.data.
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { Frame } from "../core/types.ts";
import type { Counters } from "../core/counters.ts";
import { CaptureReader } from "./reader.ts";

/** Read size for capture files: large chunks keep the per-chunk overhead (and carry-over copies) negligible. */
export const READ_CHUNK_BYTES = 1024 * 1024;

export interface ReadCaptureOptions {
  onProgress?: (bytesRead: number, totalBytes: number | undefined) => void;
  /** Read size for regular files (default READ_CHUNK_BYTES; tests use tiny ones to prove nothing keeps frame bytes). */
  chunkBytes?: number;
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
  const reader = new CaptureReader(onFrame, counters);
  const onProgress = opts?.onProgress;
  let bytes = 0;
  const st = source === "-" ? undefined : await stat(source);
  if (st !== undefined && st.isFile()) {
    // A regular file: plain synchronous reads. A read stream costs a thread-pool round trip per chunk, during which the
    // main thread idles; after each chunk the loop yields once (setImmediate) so timers and sockets (sinks) still run.
    // One buffer is reused for every read: frames are valid only during the callback and everything downstream copies
    // what it keeps (reader carry-over, TCP out-of-order segments, framer, probes, sessions), so nothing can see it
    // change; a fresh buffer per read cost a page fault per 4 KiB and kept whole chunks alive behind any stray view.
    const total = st.size;
    const size = opts?.chunkBytes ?? READ_CHUNK_BYTES;
    const buf = Buffer.allocUnsafeSlow(size);
    const fd = openSync(source, "r");
    try {
      for (;;) {
        const n = readSync(fd, buf, 0, size, null);
        if (n === 0) break;
        bytes += n;
        reader.push(n === size ? buf : buf.subarray(0, n));
        onProgress?.(bytes, total);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      closeSync(fd);
    }
  } else {
    // stdin, a FIFO or a character device: a stream.
    const stream: Readable = source === "-" ? process.stdin : createReadStream(source, { highWaterMark: READ_CHUNK_BYTES });
    for await (const chunk of stream) {
      const buf = chunk as Uint8Array;
      bytes += buf.length;
      reader.push(buf);
      onProgress?.(bytes, undefined);
    }
  }
  reader.end();
  if (bytes > 0 && reader.format === undefined && counters.get("capture.unknown-format") > 0) {
    throw new Error(`${source === "-" ? "stdin" : source}: not a pcap or pcapng capture (unknown magic number)`);
  }
}
