// The HTTP API (issue 5 §2) as a hono app: bearer token on everything but /health (compared in constant time), every
// input validated with zod, errors as JSON {error, message, issues?} with 400/401/404/409/413, never a stack trace.
// The app only talks to a SensorHandle. Endpoints are listed in appliance/README.md ("HTTP API").

import { createHash, timingSafeEqual } from "node:crypto";
import { Hono, type Context } from "hono";
import { bodyLimit } from "hono/body-limit";
import { z } from "zod";
import type { SensorHandle } from "./handle.ts";
import { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from "./prometheus.ts";

export const API_BODY_LIMIT = 64 * 1024;
export const API_MAX_PAGE = 1000;
export const API_DEFAULT_PAGE = 100;

export interface ApiOptions {
  /** The current token (read from the token file; may change on SIGHUP). Undefined refuses every request. */
  token: () => string | undefined;
}

const digest = (s: string): Buffer => createHash("sha256").update(s, "utf8").digest();

/** Constant-time token check: both sides hashed to 32 bytes so neither length nor content leaks through timing. */
export function tokenMatches(given: string, expected: string | undefined): boolean {
  if (expected === undefined || expected === "") return false;
  return timingSafeEqual(digest(given), digest(expected));
}

/** ISO 8601 time or epoch seconds → epoch seconds. */
const timeParam = z.string().transform((s, ctx) => {
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : Date.parse(s);
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: "custom", message: `"${s}" is not a time (ISO 8601 like 2026-01-31T12:00:00Z, or epoch seconds)` });
    return z.NEVER;
  }
  return /^\d+(\.\d+)?$/.test(s) ? n : n / 1000;
});
const intParam = (min: number, max: number, dflt: number) =>
  z.string().regex(/^\d+$/, "must be a whole number").transform(Number).pipe(z.number().min(min).max(max)).default(dflt);

const anomalyQuerySchema = z.strictObject({
  since: timeParam.optional(),
  until: timeParam.optional(),
  kind: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, "must be an anomaly kind like modbus.new-function-code").optional(),
  severity: z.enum(["low", "medium", "high", "critical"]).optional(),
  host: z.union([z.ipv4(), z.ipv6()], { error: "must be an IPv4 or IPv6 address" }).optional(),
  acknowledged: z.enum(["true", "false"]).transform((v) => v === "true").optional(),
  limit: intParam(1, API_MAX_PAGE, API_DEFAULT_PAGE),
  offset: intParam(0, Number.MAX_SAFE_INTEGER, 0),
}).refine((q) => q.since === undefined || q.until === undefined || q.since <= q.until, { message: "since must not be after until", path: ["since"] });

const assetQuerySchema = z.strictObject({
  zone: z.string().max(64).optional(),
  limit: intParam(1, API_MAX_PAGE * 10, API_MAX_PAGE),
  offset: intParam(0, Number.MAX_SAFE_INTEGER, 0),
});

const anomalyId = z.string().regex(/^[0-9a-f]{16}$/, "must be an anomaly id (16 hex digits)");
const acceptSchema = z.strictObject({ anomalyId });
const modeSchema = z.strictObject({ mode: z.enum(["learning", "detecting"]) });
const emptyQuery = z.strictObject({});

type Issue = { path: string; message: string };

function issuesOf(err: z.ZodError): Issue[] {
  return err.issues.map((i) => ({ path: i.path.map(String).join(".") || "(body)", message: i.message }));
}

function badRequest(c: Context, message: string, issues?: Issue[]): Response {
  return c.json({ error: "bad_request", message, ...(issues ? { issues } : {}) }, 400);
}

function parseQuery<T extends z.ZodType>(c: Context, schema: T): { ok: true; value: z.infer<T> } | { ok: false; res: Response } {
  const r = schema.safeParse(c.req.query());
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, res: badRequest(c, "invalid query parameters", issuesOf(r.error)) };
}

async function parseBody<T extends z.ZodType>(c: Context, schema: T): Promise<{ ok: true; value: z.infer<T> } | { ok: false; res: Response }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    return { ok: false, res: badRequest(c, "the body must be JSON") };
  }
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, res: badRequest(c, "invalid body", issuesOf(r.error)) };
}

export function createApi(handle: SensorHandle, opts: ApiOptions): Hono {
  const app = new Hono();

  app.onError((err, c) => c.json({ error: "internal", message: err instanceof Error ? err.message : "internal error" }, 500));
  app.notFound((c) => c.json({ error: "not_found", message: `no endpoint ${c.req.method} ${c.req.path}` }, 404));
  app.use("*", bodyLimit({ maxSize: API_BODY_LIMIT, onError: (c) => c.json({ error: "payload_too_large", message: `the body exceeds ${API_BODY_LIMIT} bytes` }, 413) }));

  // Liveness for systemd/monitoring probes: no token, no detail beyond ok/problems.
  app.get("/health", (c) => {
    const h = handle.health();
    return c.json({ status: h.ok ? "ok" : "degraded", problems: h.problems }, h.ok ? 200 : 503);
  });

  app.use("*", async (c, next) => {
    const header = c.req.header("authorization") ?? "";
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!m || !tokenMatches(m[1] as string, opts.token())) {
      c.header("WWW-Authenticate", 'Bearer realm="otwatch"');
      return c.json({ error: "unauthorized", message: "missing or wrong bearer token (see /etc/otwatch/api-token)" }, 401);
    }
    await next();
  });

  app.get("/status", (c) => {
    const q = parseQuery(c, emptyQuery);
    return q.ok ? c.json(handle.status()) : q.res;
  });

  app.get("/assets", (c) => {
    const q = parseQuery(c, assetQuerySchema);
    if (!q.ok) return q.res;
    const all = handle.assets().filter((a) => q.value.zone === undefined || a.zone === q.value.zone);
    return c.json({ total: all.length, offset: q.value.offset, items: all.slice(q.value.offset, q.value.offset + q.value.limit) });
  });

  app.get("/anomalies", (c) => {
    const q = parseQuery(c, anomalyQuerySchema);
    if (!q.ok) return q.res;
    const r = handle.anomalies(q.value);
    return c.json({ total: r.total, offset: q.value.offset, limit: q.value.limit, items: r.items });
  });

  app.post("/anomalies/:id/ack", (c) => {
    const id = anomalyId.safeParse(c.req.param("id"));
    if (!id.success) return badRequest(c, "invalid anomaly id", issuesOf(id.error));
    const a = handle.ack(id.data);
    return a ? c.json(a) : c.json({ error: "not_found", message: `no anomaly ${id.data}` }, 404);
  });

  app.get("/baseline", (c) => {
    const q = parseQuery(c, emptyQuery);
    if (!q.ok) return q.res;
    c.header("Content-Disposition", 'attachment; filename="baseline.json"');
    return c.json(handle.baseline());
  });

  app.post("/baseline/accept", async (c) => {
    const b = await parseBody(c, acceptSchema);
    if (!b.ok) return b.res;
    const r = handle.accept(b.value.anomalyId);
    if (r === "unknown-anomaly") return c.json({ error: "not_found", message: `no anomaly ${b.value.anomalyId} in the running engine` }, 404);
    if (r === "not-learnable") return c.json({ error: "conflict", message: "no analyzer can fold this anomaly into the baseline" }, 409);
    return c.json({ accepted: b.value.anomalyId });
  });

  app.post("/mode", async (c) => {
    const b = await parseBody(c, modeSchema);
    if (!b.ok) return b.res;
    return c.json({ mode: handle.setMode(b.value.mode) });
  });

  app.get("/metrics", (c) => {
    const q = parseQuery(c, emptyQuery);
    if (!q.ok) return q.res;
    return c.body(formatPrometheus(handle.metrics()), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE });
  });

  return app;
}
