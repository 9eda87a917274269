// Event JSONL writer (issue 2 item 7): one JSON object per event per line, `ts` (and `startTs`, and the ts of nested
// request/response records) rendered as ISO 8601 UTC with microseconds from packet time, every other field as is.
// Lines are joined into large chunks before they reach the file stream: no write call per line.

import { createWriteStream, type WriteStream } from "node:fs";
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

function replaceTs(key: string, value: unknown): unknown {
  if ((key === "ts" || key === "startTs") && typeof value === "number") return isoTs(value);
  return value;
}

/** One event as a JSON line (without the newline). */
export function formatEvent(e: EventBase): string {
  return JSON.stringify(e, replaceTs);
}

export class JsonlWriter {
  private readonly out: NodeJS.WritableStream;
  private readonly owned: WriteStream | undefined;
  private buf = "";
  private nLines = 0;
  private failure: Error | undefined;

  /** `path` "-" writes to stdout. */
  constructor(path: string) {
    if (path === "-") {
      this.out = process.stdout;
      this.owned = undefined;
    } else {
      this.owned = createWriteStream(path);
      this.owned.on("error", (err) => {
        this.failure = err;
      });
      this.out = this.owned;
    }
  }

  get lines(): number {
    return this.nLines;
  }

  write(e: EventBase): void {
    this.buf += formatEvent(e) + "\n";
    this.nLines++;
    if (this.buf.length >= JSONL_CHUNK_CHARS) this.flush();
  }

  /** Hands the gathered lines to the stream. */
  flush(): void {
    if (this.buf.length === 0) return;
    this.out.write(this.buf);
    this.buf = "";
  }

  /** Flushes and closes (stdout is flushed, not closed). Rejects when the file could not be written. */
  async close(): Promise<void> {
    this.flush();
    const owned = this.owned;
    if (owned !== undefined) {
      await new Promise<void>((resolve, reject) => {
        owned.end((err?: Error | null) => (err ? reject(err) : resolve()));
      });
    } else {
      await new Promise<void>((resolve) => {
        if (process.stdout.write("")) resolve();
        else process.stdout.once("drain", () => resolve());
      });
    }
    if (this.failure !== undefined) throw this.failure;
  }
}
