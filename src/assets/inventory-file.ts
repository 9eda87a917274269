// The asset inventory file (issue 5 §4 state folder): the snapshot JSON written by AssetInventory.toJSON(), read back
// and validated with zod so a restarted service keeps its assets instead of rebuilding them from traffic. Vendor, zone
// and level are derived (OUI registry, zone map) and recomputed after loading; everything else is restored.

import { z } from "zod";
import { MAX_ASSETS, MAX_PER_ASSET, MAX_TEXT } from "./inventory.ts";

/** Roles are one per protocol and side (`modbus-client` …): bounded by the protocols, this is a sanity limit. */
export const MAX_ROLES = 256;

const text = z.string().max(MAX_TEXT);
const isoTime = z.string().refine((s) => Number.isFinite(Date.parse(s)), "not an ISO time");
const units = z.array(z.number().int().min(0).max(255)).max(MAX_PER_ASSET);

export const assetRecordSchema = z.object({
  ip: z.string().min(1).max(64),
  macs: z.array(z.object({ mac: z.string().max(64), vendor: z.string().nullable() })).max(MAX_PER_ASSET),
  vendor: z.string().nullable(),
  zone: z.string(),
  level: z.number().nullable(),
  first_seen: isoTime,
  last_seen: isoTime,
  roles: z.array(text).max(MAX_ROLES),
  services: z.array(text).max(MAX_PER_ASSET),
  modbus: z.object({
    client_units: units,
    server_units: units,
    device_id: z.record(z.string().max(64), text).refine((r) => Object.keys(r).length <= MAX_PER_ASSET, "too many device id objects"),
  }).optional(),
  opcua: z.object({
    application_uri: text.nullable(),
    product_uri: text.nullable(),
    application_name: text.nullable(),
    endpoint_urls: z.array(text).max(MAX_PER_ASSET),
  }).optional(),
});

export const inventoryFileSchema = z.array(assetRecordSchema).max(MAX_ASSETS);
export type SavedAsset = z.infer<typeof assetRecordSchema>;

/** Parses and validates an inventory file's text; throws (JSON or schema error) when it is not one. */
export function parseInventoryFile(json: string): SavedAsset[] {
  return inventoryFileSchema.parse(JSON.parse(json));
}
