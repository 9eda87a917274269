// Mutations of one message for the hostile-input fuzzer (issue 2 item 10): bit flips, bytes replaced by boundary values,
// truncation (random, or at every offset in turn), absurd values in the protocol's known length/count fields and in
// 32-bit words anywhere (array counts and string lengths of -1, 0x7fffffff …), duplicated and reordered slices,
// inserted garbage, splices of two seeds, and wholly random bytes. Every mutation is a pure function of the PRNG state.
import type { Dir } from "../../src/core/types.ts";
import type { Prng } from "./prng.ts";

/** A length or count field of a seed message: where it is and how it is encoded. */
export interface LengthField {
  off: number;
  size: 1 | 2 | 3 | 4;
  le: boolean;
}

export interface Seed {
  /** Who sends it: 0 client (request), 1 server (response). */
  dir: Dir;
  bytes: Uint8Array;
  /** Known length/count fields (the protocol's framing length first). */
  lengths: readonly LengthField[];
  /** Text protocols: mutate tokens rather than bits half of the time. */
  text?: boolean;
}

const BOUNDARY_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x20, 0x0a, 0x0d, 0x3a];
const ABSURD_32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe, 0x10000, 0xffff, 0x01000000, 0x40000000];
const TEXT_TOKENS: readonly Uint8Array[] = ["\r\n", "\r\n\r\n", ":", " ", "-1", "0", "99999999999999999999", "0x7fffffff", "chunked", "\0", "%", "ÿ", "Content-Length: ", "Transfer-Encoding: chunked\r\n", "\n"].map((t) => new TextEncoder().encode(t));

export const MUTATIONS = [
  "verbatim",
  "bit-flip",
  "boundary-byte",
  "truncate",
  "absurd-length",
  "absurd-word",
  "duplicate-slice",
  "swap-slices",
  "insert-garbage",
  "splice",
  "random",
  "text-token",
] as const;
export type MutationName = (typeof MUTATIONS)[number];

/** Largest message the mutator makes (duplications stop growing beyond it). */
export const MAX_MUTATED_LEN = 8192;

function writeField(b: Uint8Array, f: LengthField, v: number): void {
  for (let i = 0; i < f.size; i++) {
    const shift = 8 * (f.le ? i : f.size - 1 - i);
    const at = f.off + i;
    if (at < b.length) b[at] = Math.floor(v / 2 ** shift) & 0xff;
  }
}

function absurdFor(rng: Prng, size: number, b: Uint8Array): number {
  const max = 2 ** (8 * size) - 1;
  switch (rng.int(6)) {
    case 0:
      return 0;
    case 1:
      return max;
    case 2:
      return Math.floor(max / 2);
    case 3:
      return Math.min(max, b.length + rng.range(-8, 8));
    case 4:
      return rng.pick(ABSURD_32) & max;
    default:
      return rng.int(max + 1);
  }
}

function slicePoints(rng: Prng, n: number): [number, number] {
  const a = rng.int(n + 1);
  const b = rng.int(n + 1);
  return a <= b ? [a, b] : [b, a];
}

export interface Mutator {
  /** One mutated message from `seed` (other seeds feed splices). May return the seed's own bytes unmodified. */
  mutate(seed: Seed, name?: MutationName): Uint8Array;
  /** Name of the last mutation applied (for reports). */
  last: MutationName;
}

export function createMutator(rng: Prng, corpus: readonly Seed[]): Mutator {
  // Systematic truncation: every offset of every seed, in turn.
  let truncSeed = 0;
  let truncOff = 0;
  const m: Mutator = {
    last: "verbatim",
    mutate(seed: Seed, name?: MutationName): Uint8Array {
      const op = name ?? rng.pick(MUTATIONS);
      m.last = op;
      const src = seed.bytes;
      const n = src.length;
      switch (op) {
        case "verbatim":
          return src;
        case "bit-flip": {
          const b = src.slice();
          const flips = rng.range(1, 8);
          for (let i = 0; i < flips && n > 0; i++) b[rng.int(n)]! ^= 1 << rng.int(8);
          return b;
        }
        case "boundary-byte": {
          const b = src.slice();
          const k = rng.range(1, 4);
          for (let i = 0; i < k && n > 0; i++) b[rng.int(n)] = rng.pick(BOUNDARY_BYTES);
          return b;
        }
        case "truncate": {
          const s = corpus[truncSeed % corpus.length] ?? seed;
          const out = s.bytes.subarray(0, Math.min(truncOff, s.bytes.length));
          if (++truncOff >= s.bytes.length) {
            truncOff = 0;
            truncSeed++;
          }
          return out;
        }
        case "absurd-length": {
          const b = src.slice();
          const f = seed.lengths.length > 0 && rng.chance(0.8) ? rng.pick(seed.lengths) : { off: rng.int(Math.max(1, n)), size: rng.pick([1, 2, 4] as const), le: rng.chance(0.5) };
          writeField(b, f, absurdFor(rng, f.size, b));
          return b;
        }
        case "absurd-word": {
          const b = src.slice();
          if (n >= 4) writeField(b, { off: rng.int(n - 3), size: 4, le: rng.chance(0.7) }, rng.pick(ABSURD_32));
          return b;
        }
        case "duplicate-slice": {
          const [a, e] = slicePoints(rng, n);
          const at = rng.int(n + 1);
          if (n + (e - a) > MAX_MUTATED_LEN) return src;
          return concat3(src.subarray(0, at), src.subarray(a, e), src.subarray(at));
        }
        case "swap-slices": {
          const [a, e] = slicePoints(rng, n);
          return concat3(src.subarray(e), src.subarray(a, e), src.subarray(0, a));
        }
        case "insert-garbage": {
          const at = rng.int(n + 1);
          return concat3(src.subarray(0, at), rng.bytes(rng.range(1, 32)), src.subarray(at));
        }
        case "splice": {
          const other = rng.pick(corpus).bytes;
          return concat3(src.subarray(0, rng.int(n + 1)), other.subarray(rng.int(other.length + 1)), new Uint8Array(0));
        }
        case "random":
          return rng.bytes(rng.chance(0.8) ? rng.int(64) : rng.int(1500));
        case "text-token": {
          const tok = rng.pick(TEXT_TOKENS);
          const at = rng.int(n + 1);
          const cut = rng.chance(0.5) ? rng.int(8) : 0;
          return concat3(src.subarray(0, at), tok, src.subarray(Math.min(n, at + cut)));
        }
      }
    },
  };
  return m;
}

function concat3(a: Uint8Array, b: Uint8Array, c: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length + c.length);
  out.set(a, 0);
  out.set(b, a.length);
  out.set(c, a.length + b.length);
  return out;
}
