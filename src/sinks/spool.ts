// Bounded persistent spool (issue 4 §3 "nothing lost"): an on-disk FIFO of records (each record an array of JSON
// items: a batch of points, or MQTT messages) in append-only segment files plus a cursor file.
//
// Layout: <dir>/seg-<seq 10 digits>.log, one line per record: "<item count>\t<JSON array>\n"; <dir>/cursor.json
// {"seg":n,"offset":bytes} = first record not yet delivered (rewritten by write-to-temp + rename on each ack).
// Durability: append() is a synchronous write(2), so a crash of the process (kill -9) loses nothing appended — only the
// batch a sink holds in memory and has not appended yet. Power loss can lose appends since the last fdatasync, which
// runs at most every `fsyncIntervalMs` (default 1000; 0 = after every append). A torn last line is cut off at open. A
// cursor update lost to power loss means redelivery (InfluxDB writes are idempotent; MQTT QoS 1 is at-least-once).
// Bound: when an append would exceed `maxBytes`, whole segments are dropped OLDEST FIRST (recent data matters most to a
// monitor), except the segment being delivered; dropped items are counted (`dropped`) and logged.
import { closeSync, existsSync, fdatasyncSync, fstatSync, ftruncateSync, mkdirSync, openSync, readdirSync, readSync, renameSync, unlinkSync, writeFileSync, writeSync, readFileSync } from "node:fs";
import { join } from "node:path";

export const SPOOL_DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
export const SPOOL_READ_CHUNK = 1024 * 1024;

export interface SpoolOptions {
  maxBytes?: number;
  /** Rotate to a new segment past this size; at most maxBytes/4 so a full spool always has a segment to drop. */
  segmentBytes?: number;
  fsyncIntervalMs?: number;
  log?: (msg: string) => void;
}

interface Segment {
  seq: number;
  /** File size in bytes. */
  size: number;
  /** Items in records at or after the cursor. */
  items: number;
}

/** One record read by peek(): its items and where the next record starts. */
export interface SpoolRecord {
  readonly items: unknown[];
  /** Item count as written (differs from items.length only for a corrupt record, which yields no items). */
  readonly count: number;
  readonly seg: number;
  readonly end: number;
}

const segName = (seq: number): string => `seg-${String(seq).padStart(10, "0")}.log`;

export class Spool {
  private readonly segments: Segment[] = [];
  private cursor = { seg: 0, offset: 0 };
  private fd: number | undefined;
  private lastSync = 0;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly fsyncIntervalMs: number;
  private readonly log: (msg: string) => void;
  /** Items dropped because the spool was full (since this instance opened). */
  dropped = 0;
  /** Records skipped because they could not be parsed (torn or corrupt). */
  corrupt = 0;

  constructor(readonly dir: string, opts: SpoolOptions = {}) {
    this.maxBytes = opts.maxBytes ?? SPOOL_DEFAULT_MAX_BYTES;
    this.segmentBytes = Math.max(1024, Math.min(opts.segmentBytes ?? 4 * 1024 * 1024, Math.floor(this.maxBytes / 4)));
    this.fsyncIntervalMs = opts.fsyncIntervalMs ?? 1000;
    this.log = opts.log ?? ((m) => console.error(m));
    mkdirSync(dir, { recursive: true });
    this.load();
  }

  /** Items waiting. */
  get depth(): number {
    let n = 0;
    for (const s of this.segments) n += s.items;
    return n;
  }

  /** Bytes on disk not yet delivered. */
  get bytes(): number {
    let n = 0;
    for (const s of this.segments) n += s.size;
    return n - (this.segments.length > 0 ? this.cursor.offset : 0);
  }

  get empty(): boolean {
    return this.depth === 0;
  }

  append(items: readonly unknown[]): void {
    if (items.length === 0) return;
    const line = Buffer.from(`${items.length}\t${JSON.stringify(items)}\n`);
    if (line.length > this.segmentBytes) {
      this.drop(items.length, `a record of ${line.length} bytes exceeds the spool segment size`);
      return;
    }
    while (this.bytes + line.length > this.maxBytes && this.dropOldest()) {
      /* dropped one segment */
    }
    if (this.bytes + line.length > this.maxBytes) {
      this.drop(items.length, "spool full");
      return;
    }
    let last = this.segments[this.segments.length - 1];
    if (!last || this.fd === undefined || last.size >= this.segmentBytes) last = this.rotate();
    writeSync(this.fd as number, line);
    last.size += line.length;
    last.items += items.length;
    const now = Date.now();
    if (now - this.lastSync >= this.fsyncIntervalMs) {
      fdatasyncSync(this.fd as number);
      this.lastSync = now;
    }
  }

  /** Records from the cursor on, up to `maxItems` items (at least one record when any), without consuming them. */
  peek(maxItems: number): SpoolRecord[] {
    const out: SpoolRecord[] = [];
    let n = 0;
    for (const seg of this.segments) {
      if (seg.seq < this.cursor.seg) continue;
      let offset = seg.seq === this.cursor.seg ? this.cursor.offset : 0;
      const fd = openSync(join(this.dir, segName(seg.seq)), "r");
      try {
        while (offset < seg.size && n < maxItems) {
          let buf = Buffer.alloc(Math.min(seg.size - offset, SPOOL_READ_CHUNK));
          readSync(fd, buf, 0, buf.length, offset);
          let nl = buf.lastIndexOf(10);
          if (nl < 0) {
            buf = Buffer.alloc(seg.size - offset);
            readSync(fd, buf, 0, buf.length, offset);
            nl = buf.lastIndexOf(10);
            if (nl < 0) break;
          }
          let start = 0;
          while (start <= nl && n < maxItems) {
            const end = buf.indexOf(10, start);
            const line = buf.toString("utf8", start, end);
            const count = Number.parseInt(line, 10) || 0;
            let items: unknown[] = [];
            try {
              const arr = JSON.parse(line.slice(line.indexOf("\t") + 1)) as unknown;
              if (Array.isArray(arr)) items = arr;
              else this.corrupt++;
            } catch {
              this.corrupt++;
            }
            out.push({ items, count, seg: seg.seq, end: offset + end + 1 });
            n += Math.max(1, items.length);
            start = end + 1;
          }
          offset += start;
        }
      } finally {
        closeSync(fd);
      }
      if (n >= maxItems) break;
    }
    return out;
  }

  /** The first `records.length` records from the cursor were delivered: move the cursor past them. */
  ack(records: readonly SpoolRecord[]): void {
    const last = records[records.length - 1];
    if (!last) return;
    for (const r of records) {
      const seg = this.segments.find((s) => s.seq === r.seg);
      // A segment dropped while its records were in flight was already discounted.
      if (seg && (r.seg > this.cursor.seg || (r.seg === this.cursor.seg && r.end > this.cursor.offset))) seg.items = Math.max(0, seg.items - r.count);
    }
    if (last.seg < this.cursor.seg || (last.seg === this.cursor.seg && last.end <= this.cursor.offset)) return;
    this.cursor = { seg: last.seg, offset: last.end };
    // Finished segments go, except the one being written.
    while (this.segments.length > 1) {
      const first = this.segments[0] as Segment;
      if (first.seq < this.cursor.seg || (first.seq === this.cursor.seg && this.cursor.offset >= first.size)) this.removeFirst();
      else break;
    }
    const head = this.segments[0];
    if (head && this.cursor.seg < head.seq) this.cursor = { seg: head.seq, offset: 0 };
    this.saveCursor();
  }

  close(): void {
    if (this.fd !== undefined) {
      fdatasyncSync(this.fd);
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private load(): void {
    const cursorPath = join(this.dir, "cursor.json");
    if (existsSync(cursorPath)) {
      try {
        const c = JSON.parse(readFileSync(cursorPath, "utf8")) as { seg?: unknown; offset?: unknown };
        if (typeof c.seg === "number" && typeof c.offset === "number") this.cursor = { seg: c.seg, offset: c.offset };
      } catch {
        this.log("spool: unreadable cursor.json, delivering from the oldest segment");
      }
    }
    const seqs = readdirSync(this.dir)
      .map((f) => /^seg-(\d{10})\.log$/.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const seq of seqs) {
      const path = join(this.dir, segName(seq));
      if (seq < this.cursor.seg) {
        unlinkSync(path);
        continue;
      }
      const buf = readFileSync(path);
      const end = buf.lastIndexOf(10) + 1;
      if (end < buf.length) {
        // A torn last record (crash mid-write): cut it off so appends start on a clean line.
        const fd = openSync(path, "r+");
        ftruncateSync(fd, end);
        closeSync(fd);
        this.corrupt++;
      }
      const from = seq === this.cursor.seg ? Math.min(this.cursor.offset, end) : 0;
      let items = 0;
      for (let p = from; p < end; ) {
        const nl = buf.indexOf(10, p);
        items += Number.parseInt(buf.toString("utf8", p, Math.min(nl, p + 12)), 10) || 0;
        p = nl + 1;
      }
      this.segments.push({ seq, size: end, items });
    }
    const first = this.segments[0];
    if (!first) this.cursor = { seg: Math.max(0, this.cursor.seg), offset: 0 };
    else if (this.cursor.seg < first.seq) this.cursor = { seg: first.seq, offset: 0 };
    // Appends always go to a fresh segment after a restart (the old last one may end mid-nothing; simpler to reason).
    this.fd = undefined;
  }

  private rotate(): Segment {
    if (this.fd !== undefined) {
      fdatasyncSync(this.fd);
      closeSync(this.fd);
    }
    const last = this.segments[this.segments.length - 1];
    // Sequence numbers only grow, so a stale cursor can never point past a new segment.
    const seq = last ? last.seq + 1 : this.cursor.seg + 1;
    this.fd = openSync(join(this.dir, segName(seq)), "a");
    const seg: Segment = { seq, size: fstatSync(this.fd).size, items: 0 };
    this.segments.push(seg);
    if (this.segments.length === 1) {
      this.cursor = { seg: seq, offset: 0 };
      this.saveCursor();
    }
    return seg;
  }

  /** Drops the oldest segment not being delivered (never the one being written). False when there is none. */
  private dropOldest(): boolean {
    const idx = this.segments.length > 2 ? 1 : -1;
    const seg = idx > 0 ? this.segments[idx] : undefined;
    if (!seg) return false;
    this.segments.splice(idx, 1);
    unlinkSync(join(this.dir, segName(seg.seq)));
    this.drop(seg.items, `spool full (${this.maxBytes} bytes): dropped the oldest waiting segment`);
    return true;
  }

  private saveCursor(): void {
    writeFileSync(join(this.dir, "cursor.json.tmp"), JSON.stringify(this.cursor));
    renameSync(join(this.dir, "cursor.json.tmp"), join(this.dir, "cursor.json"));
  }

  private removeFirst(): void {
    const seg = this.segments.shift();
    if (!seg) return;
    unlinkSync(join(this.dir, segName(seg.seq)));
  }

  private drop(items: number, why: string): void {
    this.dropped += items;
    this.log(`spool ${this.dir}: ${why}; ${items} item(s) dropped (${this.dropped} in total)`);
  }
}
