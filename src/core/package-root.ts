// Locates the otwatch package root (the folder holding its package.json) from a module's URL. Paths relative to a
// module break once the sources are bundled into dist/<fingerprint>/ (bin/otwatch.js), so code that needs shipped
// files (e.g. appliance/demo/) starts from the package root instead: the nearest ancestor whose package.json is named
// otwatch.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const PACKAGE_NAME = "otwatch";

/** The nearest folder at or above `fromUrl`'s folder with a package.json named "otwatch"; throws when there is none. */
export function packageRoot(fromUrl: string): string {
  const start = dirname(fileURLToPath(fromUrl));
  for (let dir = start; ; dir = dirname(dir)) {
    if (packageName(join(dir, "package.json")) === PACKAGE_NAME) return dir;
    if (dirname(dir) === dir) throw new Error(`otwatch package root not found above ${start}`);
  }
}

function packageName(file: string): string | undefined {
  try {
    const name = (JSON.parse(readFileSync(file, "utf8")) as { name?: unknown }).name;
    return typeof name === "string" ? name : undefined;
  } catch {
    return undefined; // absent or unreadable: keep walking up
  }
}
