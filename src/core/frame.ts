// The Frame the capture reader reuses for every record: the record's bytes are a range of the reader's chunk, not a view
// of their own. Building a subarray per packet costs ~40–80 ns and an allocation, and the decoder does not need one: it
// reads buf[start..end) in place (decode.ts). `data` is still there for every other reader of a Frame, built on first use.
import type { Frame } from "./types.ts";

const EMPTY = new Uint8Array(0);

export class BufferFrame implements Frame {
  index = 0;
  ts = 0;
  linkType = 0;
  iface = 0;
  origLen = 0;
  /** The record's bytes are buf[start, end). */
  buf: Uint8Array = EMPTY;
  start = 0;
  end = 0;
  private view: Uint8Array | undefined = undefined;

  setBytes(buf: Uint8Array, start: number, end: number): void {
    this.buf = buf;
    this.start = start;
    this.end = end;
    this.view = undefined;
  }

  get data(): Uint8Array {
    return (this.view ??= this.buf.subarray(this.start, this.end));
  }
}
