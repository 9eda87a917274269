// Every otwatch dashboard, by file name under grafana/dashboards/ (issue 4 §4). The generator writes them and the tests
// read them from here; add a dashboard = one line.
import type { Dashboard } from "@grafana/grafana-foundation-sdk/dashboard";
import { liveDashboard, sensorDashboard } from "./live.ts";
import { overviewDashboard } from "./overview.ts";
import { assetsDashboard, zonesDashboard } from "./plant.ts";
import { modbusDashboard, opcuaDashboard } from "./protocols.ts";

export const DASHBOARDS: Readonly<Record<string, () => Dashboard>> = {
  overview: () => overviewDashboard().build(),
  modbus: () => modbusDashboard().build(),
  opcua: () => opcuaDashboard().build(),
  assets: () => assetsDashboard().build(),
  zones: () => zonesDashboard().build(),
  live: () => liveDashboard().build(),
  sensor: () => sensorDashboard().build(),
};

/** The provisioning JSON of one dashboard, exactly as committed (2-space indent, trailing newline). */
export function dashboardJson(name: string): string {
  const make = DASHBOARDS[name];
  if (!make) throw new Error(`no dashboard "${name}"`);
  return `${JSON.stringify(make(), null, 2)}\n`;
}
