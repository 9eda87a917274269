// Streaming classic-pcap writer (draft-ietf-opsawg-pcap §4–5, little-endian, microsecond magic) for the benchmark's
// generated captures: records go into one reused 4 MiB buffer flushed with writeSync, so million-record files cost no
// per-record allocation.
import { closeSync, openSync, writeSync } from "node:fs";

const FLUSH_BYTES = 4 * 1024 * 1024;
const RECORD_HEADER = 16;

export class PcapWriter {
  private readonly fd: number;
  private readonly buf = Buffer.alloc(FLUSH_BYTES + 262_144 + RECORD_HEADER);
  private fill = 0;
  records = 0;

  constructor(path: string, linkType: number) {
    this.fd = openSync(path, "w");
    const b = this.buf;
    b.writeUInt32LE(0xa1b2c3d4, 0);
    b.writeUInt16LE(2, 4);
    b.writeUInt16LE(4, 6);
    b.writeUInt32LE(0, 8);
    b.writeUInt32LE(0, 12);
    b.writeUInt32LE(262_144, 16);
    b.writeUInt32LE(linkType, 20);
    this.fill = 24;
  }

  /** Appends one record; `ts` in seconds (float). Returns the offset of the data in the buffer for in-place edits. */
  write(ts: number, data: Uint8Array, origLen = data.length): void {
    if (this.fill + RECORD_HEADER + data.length > this.buf.length) this.flush();
    const b = this.buf;
    let sec = Math.floor(ts);
    let usec = Math.round((ts - sec) * 1e6);
    if (usec >= 1e6) {
      sec++;
      usec -= 1e6;
    }
    b.writeUInt32LE(sec >>> 0, this.fill);
    b.writeUInt32LE(usec, this.fill + 4);
    b.writeUInt32LE(data.length, this.fill + 8);
    b.writeUInt32LE(origLen, this.fill + 12);
    b.set(data, this.fill + RECORD_HEADER);
    this.fill += RECORD_HEADER + data.length;
    this.records++;
    if (this.fill >= FLUSH_BYTES) this.flush();
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }

  private flush(): void {
    let off = 0;
    while (off < this.fill) off += writeSync(this.fd, this.buf, off, this.fill - off);
    this.fill = 0;
  }
}
