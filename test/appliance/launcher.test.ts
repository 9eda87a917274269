// bin/otwatch.js: the CLI runs from an esbuild bundle cached under <dist>/<fingerprint>/, built on first use and
// reused, with the same output as the tsx path, and falls back to tsx when the bundle cannot be written or does not
// compile.
// Runs on a frozen copy of the checkout (node_modules linked) so concurrent edits to the live tree cannot change the
// fingerprint between two runs; bin/fingerprint.js itself is tested on a synthetic tree.
import { execFile, execFileSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { sourceFingerprint } from "../../bin/fingerprint.js";
import { repoRootDir } from "../helpers/servers.ts";
import { sharedPath } from "../helpers/shared.ts";

const exec = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), "otwatch-launcher-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const copy = join(tmp, "otwatch");
for (const p of ["bin", "src", "protocols", "appliance", "package.json", "package-lock.json", "tsconfig.json"]) {
  cpSync(join(repoRootDir, p), join(copy, p), { recursive: true, filter: (s) => !s.includes("/appliance/demo/") });
}
symlinkSync(join(repoRootDir, "node_modules"), join(copy, "node_modules"));
const dist = join(copy, "cache");

interface Run { code: number; stdout: string; stderr: string }
async function otwatch(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const { OTWATCH_NO_BUNDLE: _, ...base } = process.env;
  try {
    const r = await exec(process.execPath, [join(copy, "bin", "otwatch.js"), ...args], { env: { ...base, OTWATCH_DIST_DIR: dist, ...env }, maxBuffer: 1 << 26 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("bin/otwatch.js", () => {
  it("builds the bundle on the first run and imports the cached one afterwards", async () => {
    const first = await otwatch(["--help"]);
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toContain("usage: otwatch <command>");
    const hash = sourceFingerprint(copy);
    expect(readdirSync(dist)).toEqual([hash]);
    const entry = join(dist, hash, "cli.mjs");
    // Commands stay lazy: each is its own chunk, not inlined in the entry.
    expect(readdirSync(join(dist, hash)).filter((f) => /^(replay|run|demo)-.*\.mjs$/.test(f))).toHaveLength(3);
    expect(readFileSync(entry, "utf8")).not.toContain("function runReplay");
    // A marker in the cached entry proves the second run imports it instead of rebuilding or running tsx.
    writeFileSync(entry, `process.stdout.write("cached bundle\\n");\n${readFileSync(entry, "utf8")}`);
    const second = await otwatch(["--help"]);
    expect(second).toMatchObject({ code: 0, stderr: "" });
    expect(second.stdout).toMatch(/^cached bundle\notwatch — /);
    expect(readdirSync(dist)).toEqual([hash]);
  });

  it.each([
    ["opcua/open62541_browse_request_with_results.pcap"],
    ["modbus/modbus_test_data_part1.pcap"],
  ])("replays %s to byte-identical JSONL with the bundle and with tsx", async (capture) => {
    const file = sharedPath("pcaps", capture);
    const outBundle = join(tmp, "bundle.jsonl");
    const outTsx = join(tmp, "tsx.jsonl");
    expect((await otwatch(["replay", file, "--events", outBundle, "--quiet"])).code).toBe(0);
    expect((await otwatch(["replay", file, "--events", outTsx, "--quiet"], { OTWATCH_NO_BUNDLE: "1" })).code).toBe(0);
    const bundled = readFileSync(outBundle);
    expect(bundled.toString().split("\n").length).toBeGreaterThan(5);
    expect(bundled.equals(readFileSync(outTsx))).toBe(true);
  });

  it("falls back to tsx, silently, when the dist dir cannot be created", async () => {
    const file = join(tmp, "a-file");
    writeFileSync(file, "");
    const out = join(tmp, "fallback.jsonl");
    const capture = sharedPath("pcaps", "opcua", "open62541_browse_request_with_results.pcap");
    const r = await otwatch(["replay", capture, "--events", out, "--quiet"], { OTWATCH_DIST_DIR: join(file, "dist") });
    expect(r).toMatchObject({ code: 0, stderr: "" });
    const ref = join(tmp, "ref.jsonl");
    await otwatch(["replay", capture, "--events", ref, "--quiet"]);
    expect(readFileSync(out).equals(readFileSync(ref))).toBe(true);
  });

  it("says so in one stderr line when the sources do not bundle, then runs them through tsx", async () => {
    // An unresolvable import in a lazily loaded command: esbuild rejects it; tsx would only fail on `baseline`.
    const baseline = join(copy, "appliance", "commands", "baseline.ts");
    const original = readFileSync(baseline, "utf8");
    appendFileSync(baseline, `\nimport "./no-such-module.ts";\n`);
    try {
      const r = await otwatch(["--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("usage: otwatch <command>");
      expect(r.stderr).toMatch(/^otwatch: bundling failed \(appliance\/commands\/baseline\.ts:\d+: Could not resolve "\.\/no-such-module\.ts"\); running the sources through tsx\n$/);
      expect(readdirSync(dist).filter((d) => d.includes(".tmp-"))).toEqual([]);
      expect(existsSync(join(dist, sourceFingerprint(copy)))).toBe(false);
    } finally {
      writeFileSync(baseline, original);
    }
  });
});

describe("sourceFingerprint", () => {
  const tree = join(tmp, "tree");
  const put = (rel: string, text: string): void => {
    mkdirSync(join(tree, rel, ".."), { recursive: true });
    writeFileSync(join(tree, rel), text);
  };
  put("src/core/a.ts", "export const a = 1;\n");
  put("src/core/a.test.ts", "test\n");
  put("protocols/x/b.ts", "export const b = 2;\n");
  put("appliance/c.ts", "export const c = 3;\n");
  put("appliance/demo/site.yaml", "site: x\n");
  put("src/node_modules/dep/index.ts", "export {};\n");
  put("package.json", `{"name":"otwatch"}\n`);
  put("package-lock.json", "{}\n");

  it("changes when a source or package file is edited, added or touched", () => {
    const h0 = sourceFingerprint(tree);
    expect(h0).toMatch(/^[0-9a-f]{16}$/);
    expect(sourceFingerprint(tree)).toBe(h0);
    const a = join(tree, "src/core/a.ts");
    writeFileSync(a, "export const a = 7;\n"); // same size: the mtime tells
    expect(sourceFingerprint(tree)).not.toBe(h0);
    const h1 = sourceFingerprint(tree);
    const t = new Date(2024, 0, 1);
    utimesSync(a, t, t);
    expect(sourceFingerprint(tree)).not.toBe(h1);
    const h2 = sourceFingerprint(tree);
    put("package-lock.json", "{ }\n");
    expect(sourceFingerprint(tree)).not.toBe(h2);
    const h3 = sourceFingerprint(tree);
    put("protocols/x/new.ts", "export {};\n");
    expect(sourceFingerprint(tree)).not.toBe(h3);
  });

  it("is stable across copies made the way install.sh makes them (tar keeps whole-second mtimes)", () => {
    const copies = [join(tmp, "tree-copy-1"), join(tmp, "tree-copy-2")];
    for (const c of copies) {
      mkdirSync(c);
      execFileSync("sh", ["-c", `tar -C '${tree}' -cf - . | tar -C '${c}' -xf - --no-same-owner`]);
    }
    expect(sourceFingerprint(copies[0] as string)).toBe(sourceFingerprint(copies[1] as string));
  });

  it("ignores tests, non-TypeScript files and node_modules", () => {
    const h = sourceFingerprint(tree);
    put("src/core/a.test.ts", "changed test\n");
    put("appliance/demo/site.yaml", "site: y\n");
    put("src/node_modules/dep/index.ts", "export const changed = 1;\n");
    put("README.md", "docs\n");
    expect(sourceFingerprint(tree)).toBe(h);
  });
});
