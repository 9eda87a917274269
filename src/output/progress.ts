// Progress bar on stderr while a capture file is read (issue 2 item 7): bytes read / file size and packets per second.
// Only when stderr is a terminal; redraws are throttled by wall-clock time (display only, not packet time).

/** Minimum milliseconds between redraws. */
export const PROGRESS_REDRAW_MS = 200;

const BAR_WIDTH = 30;

export interface ProgressTarget {
  write(s: string): boolean;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export class ProgressBar {
  private lastDraw = 0;
  private readonly start = Date.now();
  private drawn = false;

  constructor(private readonly out: ProgressTarget) {}

  update(bytesRead: number, totalBytes: number | undefined, packets: number): void {
    const now = Date.now();
    if (now - this.lastDraw < PROGRESS_REDRAW_MS) return;
    this.lastDraw = now;
    const secs = (now - this.start) / 1000;
    const rate = secs > 0 ? Math.round(packets / secs) : 0;
    let line: string;
    if (totalBytes !== undefined && totalBytes > 0) {
      const frac = Math.min(1, bytesRead / totalBytes);
      const filled = Math.round(frac * BAR_WIDTH);
      line = `[${"#".repeat(filled)}${".".repeat(BAR_WIDTH - filled)}] ${(frac * 100).toFixed(1).padStart(5)}% ${mib(bytesRead)}/${mib(totalBytes)} MiB`;
    } else {
      line = `${mib(bytesRead)} MiB`;
    }
    line += `  ${packets.toLocaleString("en-US")} packets  ${rate.toLocaleString("en-US")} packets/s`;
    const width = this.out.columns ?? 100;
    this.out.write(`\r${line.slice(0, width - 1)}\x1b[K`);
    this.drawn = true;
  }

  /** Clears the bar line so the summary starts on a clean line. */
  done(): void {
    if (this.drawn) this.out.write("\r\x1b[K");
    this.drawn = false;
  }
}

function mib(n: number): string {
  return (n / (1024 * 1024)).toFixed(1);
}
