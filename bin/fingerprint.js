// Fingerprint of the sources the CLI bundle is built from (used by bin/otwatch.js to name dist/<fingerprint>/).
// Path, mtime and size of each source, not its content: every process pays for this, and on this tree (≈160 files,
// ≈1 MB) a fresh process needs ≈4.6 ms for the stats against ≈10.6 ms to read and hash the contents. Edits change the
// mtime (nanosecond resolution); copies that drop mtimes only cost one rebuild; install.sh copies with tar, which
// keeps them (to the second), and only when the tree differs, so a second install finds the same fingerprint.
import { createHash } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Source trees bundled into the CLI: every non-test `*.ts` under them counts. */
export const SOURCE_DIRS = ["src", "protocols", "appliance"];
/** Single files that change the build: dependencies, compiler settings esbuild reads, the launcher, this file. */
export const SOURCE_FILES = ["package.json", "package-lock.json", "tsconfig.json", "bin/otwatch.js", "bin/fingerprint.js"];

function walk(root, rel, out) {
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return; // an absent tree is simply not part of the fingerprint
  }
  for (const e of entries) {
    const path = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (e.name !== "node_modules") walk(root, path, out);
    } else if (e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".test.ts")) out.push(path);
  }
}

/** sha1 over the sorted "relpath\0mtimeMs\0size\n" lines of every source, first 16 hex digits. */
export function sourceFingerprint(root) {
  const files = [];
  for (const d of SOURCE_DIRS) walk(root, d, files);
  files.push(...SOURCE_FILES);
  files.sort();
  const h = createHash("sha1");
  for (const rel of files) {
    const st = statSync(join(root, rel), { throwIfNoEntry: false });
    // Absent single files are skipped (tsconfig.json is not installed).
    if (st !== undefined) h.update(`${rel}\0${st.mtimeMs}\0${st.size}\n`);
  }
  return h.digest("hex").slice(0, 16);
}
