// Runs a command as a child process under `/usr/bin/time -v` and returns its wall time, CPU time (user + system) and
// peak RSS, plus the number of stdout lines (tshark's decoded fields), counted as they stream so nothing is kept.
import { spawn } from "node:child_process";

export interface Measured {
  wallS: number;
  cpuS: number;
  maxRssKb: number;
  stdoutLines: number;
  exitCode: number;
  stderrTail: string;
}

function field(text: string, name: string): number {
  const line = text.split("\n").find((l) => l.trim().startsWith(name));
  if (line === undefined) return NaN;
  const v = line.slice(line.lastIndexOf(": ") + 2).trim();
  if (v.includes(":")) return v.split(":").reduce((acc, p) => acc * 60 + Number(p), 0);
  return Number(v);
}

export function measure(cmd: string, args: readonly string[], cwd?: string): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn("/usr/bin/time", ["-v", cmd, ...args], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let lines = 0;
    let err = "";
    child.stdout.on("data", (b: Buffer) => {
      for (let i = 0; i < b.length; i++) if (b[i] === 10) lines++;
    });
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
      if (err.length > 100_000) err = err.slice(-20_000);
    });
    child.on("error", reject);
    child.on("close", (code) => {
      resolve({
        wallS: field(err, "Elapsed (wall clock) time"),
        cpuS: field(err, "User time (seconds)") + field(err, "System time (seconds)"),
        maxRssKb: field(err, "Maximum resident set size (kbytes)"),
        stdoutLines: lines,
        exitCode: code ?? -1,
        stderrTail: err.split("\n").filter((l) => !l.startsWith("\t")).slice(-5).join("\n"),
      });
    });
  });
}
