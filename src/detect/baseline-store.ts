// Baseline persistence (issue 3 §3): the baseline = {version, site, learning window, learned OT hosts, per-analyzer
// models}. One canonical text format serves the state file, `baseline export` and `--baseline`: pretty JSON with
// object keys sorted at every depth and a trailing newline. JSON rather than YAML because the models are already
// JSON-serialisable by contract, numbers and strings round-trip exactly (YAML 1.1 readers turn `no`, `0755` or
// `1e3`-like node ids into other types), and sorted two-space JSON diffs line by line in git or `diff -u`.
// Saving is atomic: write a temp file in the same directory, fsync it, rename over the target, fsync the directory —
// after a crash or kill -9 the file is the old or the new complete baseline, never a mix.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { z } from "zod";

export const BASELINE_VERSION = 1;

const baselineSchema = z.strictObject({
  version: z.literal(BASELINE_VERSION, { error: `must be ${BASELINE_VERSION} (this otwatch reads baseline version ${BASELINE_VERSION})` }),
  site: z.string(),
  learn: z.strictObject({
    /** Packet time of the first packet of the learning window. */
    firstTs: z.number(),
    learnedSeconds: z.number().min(0),
  }),
  zones: z.strictObject({ learnedOt: z.array(z.string()) }),
  models: z.record(z.string(), z.unknown()),
});

export type Baseline = z.infer<typeof baselineSchema>;

export class BaselineError extends Error {
  override readonly name = "BaselineError";
}

/** A copy of `v` with object keys sorted at every depth (arrays keep their order): canonical JSON for diffs and goldens. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** The canonical text of a baseline: stable for equal content, so `diff` shows only what was learned differently. */
export function formatBaseline(b: Baseline): string {
  return `${JSON.stringify(sortKeys(b), null, 2)}\n`;
}

/** Parses and validates baseline text; `name` (file path) prefixes the error. */
export function parseBaseline(text: string, name: string): Baseline {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new BaselineError(`${name}: not a baseline (invalid JSON: ${err instanceof Error ? err.message : String(err)})`);
  }
  const r = baselineSchema.safeParse(raw);
  if (!r.success) {
    const lines = r.error.issues.map((i) => `${name}: ${i.path.map(String).join(".") || "(top level)"}: ${i.message}`);
    throw new BaselineError(lines.join("\n"));
  }
  return r.data;
}

/** Writes `text` to `path` atomically and durably (temp + fsync + rename + fsync of the directory). */
export function writeFileAtomic(path: string, text: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const fd = openSync(tmp, "w", 0o644);
  try {
    const buf = Buffer.from(text, "utf8");
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // the temp file may not exist; the original error matters
    }
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  const dfd = openSync(dir, "r");
  try {
    fsyncSync(dfd);
  } finally {
    closeSync(dfd);
  }
}

export function saveBaseline(path: string, b: Baseline): void {
  writeFileAtomic(path, formatBaseline(b));
}

/** Reads and validates a baseline file; throws BaselineError with a one-line reason per problem. */
export function loadBaseline(path: string): Baseline {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new BaselineError(`${path}: cannot read the baseline (${(err as NodeJS.ErrnoException).code ?? "read error"})`);
  }
  return parseBaseline(text, path);
}

/**
 * The appliance's state file. `load` never throws: a missing file means "no baseline yet"; a corrupt one is moved
 * aside to `<path>.corrupt` (kept for inspection) and reported through `error`, and the sensor starts learning afresh
 * instead of refusing to start.
 */
export class BaselineStore {
  /** Why the last load found no usable baseline (undefined when it loaded or the file did not exist). */
  error: string | undefined;

  constructor(readonly path: string) {}

  save(b: Baseline): void {
    saveBaseline(this.path, b);
  }

  load(): Baseline | undefined {
    this.error = undefined;
    try {
      return loadBaseline(this.path);
    } catch (err) {
      if (err instanceof BaselineError && err.message.includes("(ENOENT)")) return undefined;
      this.error = err instanceof Error ? err.message : String(err);
      try {
        renameSync(this.path, `${this.path}.corrupt`);
      } catch {
        // unreadable and unmovable: the error above already says why
      }
      return undefined;
    }
  }
}
