// packageRoot: the nearest ancestor whose package.json is named "otwatch" (the bundled CLI locates shipped files by it).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot } from "./package-root.ts";

const tmp = mkdtempSync(join(tmpdir(), "otwatch-pkgroot-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("packageRoot", () => {
  it("is the checkout for this module", () => {
    expect(packageRoot(import.meta.url)).toBe(resolve(dirname(fileURLToPath(import.meta.url)), "../.."));
  });

  it("skips package.json files of other packages and broken ones on the way up", () => {
    const pkg = join(tmp, "pkg");
    mkdirSync(join(pkg, "dist", "abc", "nested"), { recursive: true });
    writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "otwatch" }));
    writeFileSync(join(pkg, "dist", "package.json"), JSON.stringify({ name: "something-else" }));
    writeFileSync(join(pkg, "dist", "abc", "package.json"), "{ not json");
    expect(packageRoot(pathToFileURL(join(pkg, "dist", "abc", "nested", "chunk.mjs")).href)).toBe(pkg);
    expect(packageRoot(pathToFileURL(join(pkg, "cli.mjs")).href)).toBe(pkg);
  });

  it("throws when no ancestor is the otwatch package", () => {
    const lone = join(tmp, "lone", "a");
    mkdirSync(lone, { recursive: true });
    writeFileSync(join(tmp, "lone", "package.json"), JSON.stringify({ name: "not-otwatch" }));
    expect(() => packageRoot(pathToFileURL(join(lone, "x.mjs")).href)).toThrow(/package root not found/);
  });
});
