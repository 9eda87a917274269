#!/usr/bin/env node
// Entry point. Runs the CLI from an esbuild bundle of the TypeScript sources, cached in dist/<fingerprint>/ and built
// on the first run after any source change, because starting through tsx's loader costs ≈0.4 s per process (hooks
// worker, per-file transforms). Falls back to tsx (the sources as they are) when the bundle cannot be built: read-only install
// dir, esbuild missing, compile error (one stderr line). OTWATCH_NO_BUNDLE=1 forces tsx. OTWATCH_DIST_DIR moves the
// cache (tests); it must lie below the checkout, since the bundle finds its packages in <repo>/node_modules.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, utimesSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { sourceFingerprint } from "./fingerprint.js";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const STALE_MS = 10 * 60_000; // other fingerprints' bundles unused this long are removed

/** Path of an up-to-date bundle entry, building it if needed; undefined when that is not possible. */
async function bundle() {
  const dist = process.env.OTWATCH_DIST_DIR || join(root, "dist");
  const hash = sourceFingerprint(root);
  const dir = join(dist, hash);
  const entry = join(dir, "cli.mjs");
  if (existsSync(entry)) {
    try {
      const now = new Date();
      utimesSync(dir, now, now); // mtime = last use, so the clean-up below spares bundles still in use
    } catch {} // read-only install: fine
    return entry;
  }
  const tmp = `${dir}.tmp-${process.pid}`;
  try {
    mkdirSync(dist, { recursive: true });
    const esbuild = await import("esbuild");
    await esbuild.build({
      entryPoints: [join(root, "appliance", "cli.ts")],
      bundle: true,
      splitting: true, // the CLI's `await import()` of each command stays lazy (one chunk per command)
      format: "esm",
      platform: "node",
      target: "node20",
      packages: "external", // node_modules are imported at run time, resolved from <repo>/node_modules
      outdir: tmp,
      entryNames: "cli",
      outExtension: { ".js": ".mjs" },
      logLevel: "silent",
      absWorkingDir: root, // error locations relative to the checkout
    });
    // Sources edited while esbuild read them: this build matches neither fingerprint, so it is not kept.
    if (sourceFingerprint(root) !== hash) throw new Error("sources changed during the build");
    try {
      renameSync(tmp, dir);
    } catch (err) {
      if (!existsSync(entry)) throw err;
      rmSync(tmp, { recursive: true, force: true }); // another process built the same sources first: use theirs
    }
  } catch (err) {
    try {
      rmSync(tmp, { recursive: true, force: true });
    } catch {} // e.g. ENOTDIR: the dist path itself is unusable
    if (Array.isArray(err?.errors) && err.errors.length > 0) {
      const e = err.errors[0];
      const at = e.location ? `${e.location.file}:${e.location.line}: ` : "";
      process.stderr.write(`otwatch: bundling failed (${at}${e.text}); running the sources through tsx\n`);
    }
    return undefined;
  }
  try {
    for (const name of readdirSync(dist)) {
      const p = join(dist, name);
      if (name !== hash && Date.now() - statSync(p).mtimeMs > STALE_MS) rmSync(p, { recursive: true, force: true });
    }
  } catch {} // best effort
  return entry;
}

const entry = process.env.OTWATCH_NO_BUNDLE === "1" ? undefined : await bundle();
if (entry !== undefined) {
  await import(pathToFileURL(entry).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import(pathToFileURL(join(root, "appliance", "cli.ts")).href);
}
