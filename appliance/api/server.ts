// Serves the API app on a socket with @hono/node-server (loopback by default; the config's api.bind/port).
import { serve } from "@hono/node-server";
import type { AddressInfo } from "node:net";
import type { Hono } from "hono";

export interface ApiServer {
  readonly port: number;
  readonly host: string;
  close(): Promise<void>;
}

export function startApiServer(app: Hono, host: string, port: number): Promise<ApiServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      resolve({
        port: info.port,
        host,
        close: () => new Promise<void>((r) => {
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
    server.once("error", reject);
  });
}
