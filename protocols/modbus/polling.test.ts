// Poll timing model: the learned period is robust to jitter and missed polls, irregular operator actions are not armed,
// overdue deadlines follow max(5·P, 1.5·p99, 30 s), and the period-change verdict needs a sustained change.
import { describe, expect, it } from "vitest";
import { LOSS_OF_VIEW_FLOOR_S, PollTracker, POLL_MIN_SAMPLES } from "./polling.ts";
import { seededRandom } from "../../test/fixtures/ot-events.ts";

function learnSeries(period: number, n: number, jitter: number, miss: number, seed = 3): PollTracker {
  const rnd = seededRandom(seed);
  const t = new PollTracker();
  for (let i = 0; i < n; i++) if (rnd() >= miss) t.learn(1000 + i * period + (rnd() * 2 - 1) * jitter * period);
  return t;
}

describe("PollTracker", () => {
  it("estimates the period within 5 % under ±20 % jitter and 10 % missed polls", () => {
    const t = learnSeries(0.5, 2000, 0.2, 0.1);
    t.freeze(t.last);
    expect(t.armed).toBe(true);
    expect(t.model?.period).toBeGreaterThan(0.475);
    expect(t.model?.period).toBeLessThan(0.525);
  });

  it("does not arm irregular requests (operator writes every 8-15 min) nor short series", () => {
    const rnd = seededRandom(9);
    const irregular = new PollTracker();
    for (let i = 0, ts = 0; i < 200; i++, ts += 480 + rnd() * 420) irregular.learn(ts);
    irregular.freeze(irregular.last);
    expect(irregular.armed).toBe(false);
    const short = learnSeries(1, POLL_MIN_SAMPLES - 2, 0, 0);
    short.freeze(short.last);
    expect(short.armed).toBe(false);
  });

  it("does not arm a poll that had already stopped when learning ended", () => {
    const t = learnSeries(1, 300, 0.05, 0);
    t.freeze(t.last + 10 * LOSS_OF_VIEW_FLOOR_S);
    expect(t.armed).toBe(false);
  });

  it("puts the deadline at the floor for fast polls and at 5 periods for slow ones", () => {
    const fast = learnSeries(0.5, 500, 0.05, 0);
    fast.freeze(fast.last);
    expect(fast.silenceThreshold()).toBe(LOSS_OF_VIEW_FLOOR_S);
    const slow = learnSeries(20, 100, 0.05, 0);
    slow.freeze(slow.last);
    expect(slow.silenceThreshold()).toBeGreaterThan(95);
    expect(slow.silenceThreshold()).toBeLessThan(105);
    expect(slow.deadline()).toBe(slow.last + slow.silenceThreshold());
  });

  it("reports a period change only once it is sustained, and its end", () => {
    const t = learnSeries(1, 300, 0.05, 0);
    t.freeze(t.last);
    let ts = t.last;
    const verdicts: string[] = [];
    for (let i = 0; i < 40; i++) verdicts.push(t.detect((ts += 1), true) ?? "");
    expect(verdicts.filter(Boolean)).toEqual([]);
    for (let i = 0; i < 40; i++) verdicts.push(t.detect((ts += 4), true) ?? "");
    for (let i = 0; i < 40; i++) verdicts.push(t.detect((ts += 1), true) ?? "");
    expect(verdicts.filter(Boolean)).toEqual(["changed", "restored"]);
  });
});
