#!/usr/bin/env node
// Entry point: runs the TypeScript CLI through tsx's loader (no build step; the package ships its sources).
import { register } from "tsx/esm/api";
import { fileURLToPath } from "node:url";
register();
await import(fileURLToPath(new URL("../appliance/cli.ts", import.meta.url)));
