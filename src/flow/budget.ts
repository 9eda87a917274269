// A byte budget shared by every flow of a pipeline (STYLE "everything bounded"): per-flow limits alone do not bound
// memory when many flows buffer at once, so out-of-order segments, PDUs assembled across segments, probe bytes and what
// protocol sessions keep (chunks, pending requests) draw from pipeline-wide budgets. When a budget is spent the
// requester degrades (drops the segment, resyncs, gives up probing, drops the message) and counts it; nothing waits.

/** Out-of-order bytes buffered by all TCP streams together. */
export const MAX_TOTAL_OOO_BYTES = 64 * 1024 * 1024;
/** Bytes held by all framers (PDUs spanning segments) and probes together. */
export const MAX_TOTAL_ASSEMBLY_BYTES = 128 * 1024 * 1024;
/**
 * Bytes held by all protocol sessions together (SessionContext.reserve): messages assembled from chunks, pending
 * requests, partial heads and hellos. With the two budgets above, 320 MiB of buffered state at most, whatever the
 * traffic; the flow table at its cap adds ~350 MB of heap (appliance/README.md sizing), under the 1 GB target.
 */
export const MAX_TOTAL_SESSION_BYTES = 128 * 1024 * 1024;

export class ByteBudget {
  used = 0;
  constructor(readonly max: number) {}

  /** Reserves `n` bytes; false (and nothing reserved) when that would exceed the budget. */
  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  release(n: number): void {
    this.used -= n;
    if (this.used < 0) this.used = 0;
  }
}

/** A budget nobody shares and that never runs out (unit tests of a single stream or framer). */
export function unlimitedBudget(): ByteBudget {
  return new ByteBudget(Number.MAX_SAFE_INTEGER);
}
