// Event JSONL writer (issue 2 item 7): one JSON object per event per line, `ts` (and `startTs`, and the ts of nested
// request/response records) rendered as ISO 8601 UTC with microseconds from packet time, every other field as is.
// Lines are joined into large chunks before they are written: no write call per line.

import { closeSync, openSync, writeSync } from "node:fs";
import type { EventBase, Ts } from "../core/types.ts";

/** Characters gathered before one write to the underlying stream. */
export const JSONL_CHUNK_CHARS = 256 * 1024;

let cachedSecond = NaN;
let cachedPrefix = "";

/** Packet time → "2025-06-03T06:46:41.103780Z" (UTC, microseconds). */
export function isoTs(ts: Ts): string {
  const us = Math.round(ts * 1e6);
  const sec = Math.floor(us / 1e6);
  if (sec !== cachedSecond) {
    cachedSecond = sec;
    cachedPrefix = new Date(sec * 1000).toISOString().slice(0, 19);
  }
  const frac = us - sec * 1e6;
  return `${cachedPrefix}.${String(frac).padStart(6, "0")}Z`;
}

// In JSON text a key `"ts":` followed by a number can only be a real key: inside string values quotes are escaped.
const TS_KEY = /"(ts|startTs)":(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g;

function isoKey(_m: string, key: string, num: string): string {
  return `"${key}":"${isoTs(Number(num))}"`;
}

/** One event as a JSON line (without the newline). A plain stringify then a rewrite of the time keys: several times
 * faster than a replacer function, which would be called for every key and array element. */
export function formatEvent(e: EventBase): string {
  return JSON.stringify(e).replace(TS_KEY, isoKey);
}

/**
 * Writes events as JSONL. Lines are gathered into JSONL_CHUNK_CHARS chunks and each chunk is written synchronously: one
 * system call per chunk, never per line, and memory stays bounded however fast the pipeline produces events (an
 * asynchronous stream would queue without limit while the synchronous capture loop runs). stdout ("-") is synchronous
 * for files and pipes on Linux too.
 */
export class JsonlWriter {
  private readonly fd: number;
  private readonly owned: boolean;
  private buf = "";
  private nLines = 0;

  /** `path` "-" writes to stdout. */
  constructor(path: string) {
    this.owned = path !== "-";
    this.fd = this.owned ? openSync(path, "w") : 1;
  }

  get lines(): number {
    return this.nLines;
  }

  write(e: EventBase): void {
    this.buf += formatEvent(e) + "\n";
    this.nLines++;
    if (this.buf.length >= JSONL_CHUNK_CHARS) this.flush();
  }

  /** Writes the gathered lines. */
  flush(): void {
    if (this.buf.length === 0) return;
    const bytes = Buffer.from(this.buf, "utf8");
    this.buf = "";
    let off = 0;
    while (off < bytes.length) {
      try {
        off += writeSync(this.fd, bytes, off, bytes.length - off);
      } catch (err) {
        // A non-blocking stdout pipe that is full: wait briefly and retry rather than lose events.
        if ((err as { code?: string }).code !== "EAGAIN") throw err;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
      }
    }
  }

  /** Flushes and closes the file (stdout is flushed, not closed). */
  async close(): Promise<void> {
    this.flush();
    if (this.owned) closeSync(this.fd);
  }
}
