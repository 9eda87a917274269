// State folder: the inventory saved with the baseline is loaded at start (validated), and an unusable inventory file is
// ignored with a warning instead of stopping the service.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AssetInventory } from "../../src/assets/inventory.ts";
import { arp } from "../../src/detect/test-events.ts";
import { createDetection } from "../../src/detect/setup.ts";
import { StateDir } from "./state.ts";

describe("StateDir", () => {
  it("loads the inventory saved with the baseline into a new inventory: same snapshot", () => {
    const dir = mkdtempSync(join(tmpdir(), "otwatch-state-"));
    const d = createDetection({ learnSeconds: 60, onAnomaly: () => {} });
    d.observe(arp(1_760_000_000, "192.168.2.3", "00:30:de:00:00:03"));
    d.observe(arp(1_760_000_001, "10.0.0.1", "00:1b:17:00:00:01"));
    new StateDir(dir).save(d.engine.baseline("t"), d.engine.mode, d.inventory.toJSON());

    const loaded = new StateDir(dir).load();
    expect(loaded.warnings).toEqual([]);
    const inv = new AssetInventory();
    expect(inv.importSnapshot(loaded.inventory ?? [])).toBe(2);
    expect(inv.snapshot()).toEqual(d.inventory.snapshot());
  });

  it("ignores an unusable inventory file with a warning", () => {
    const dir = mkdtempSync(join(tmpdir(), "otwatch-state-"));
    const state = new StateDir(dir);
    expect(state.load()).toMatchObject({ inventory: undefined, warnings: [] });
    writeFileSync(state.inventoryPath, '[{"ip": 1}]');
    const loaded = state.load();
    expect(loaded.inventory).toBeUndefined();
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toContain("inventory.json is unusable");
  });
});
