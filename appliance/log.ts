// JSON logs for the service (issue 5 §1): one object per line on stdout — {"ts","level","msg",...fields} — which journald
// keeps as is and `journalctl -u otwatch -o cat | jq` reads back. The level can change at run time (SIGHUP reload).
// Secrets never reach the log: callers pass file paths, never file contents, and `redact` strips URL credentials.

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, string | number | boolean | undefined | null | readonly string[]>>;

export interface Logger {
  level: LogLevel;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Removes `user:password@` from URLs inside a text (sink messages may quote a URL). */
export function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, "$1");
}

export function createLogger(level: LogLevel = "info", write: (line: string) => void = (l) => void process.stdout.write(l)): Logger {
  const log = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < RANK[logger.level]) return;
    const rec: Record<string, unknown> = { ts: new Date().toISOString(), level: lvl, msg: redact(msg) };
    if (fields) for (const [k, v] of Object.entries(fields)) if (v !== undefined && k !== "ts" && k !== "level" && k !== "msg") rec[k] = typeof v === "string" ? redact(v) : v;
    write(`${JSON.stringify(rec)}\n`);
  };
  const logger: Logger = {
    level,
    debug: (m, f) => log("debug", m, f),
    info: (m, f) => log("info", m, f),
    warn: (m, f) => log("warn", m, f),
    error: (m, f) => log("error", m, f),
  };
  return logger;
}
