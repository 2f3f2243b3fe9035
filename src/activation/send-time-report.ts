import { gated, sizeHidden, suppressPartition } from "../privacy/k-gate.js";
import { customerCount } from "../segments/evaluate.js";
import { requireEvaluated, requireSegment } from "../segments/segment-store.js";
import { currentMembersSql } from "../segments/stays.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { withSendTimes } from "./send-times.js";

/**
 * When a segment's messages would go out (issue 18, item 4): its current members timed by `withSendTimes` over a
 * window, reported as a histogram of the hours chosen — never a person's time. The histogram's cells add up to the
 * segment's size, so they are suppressed as a partition (small cells, and more until none can be recovered).
 */

export interface SendTimeSlot {
  /** The hour (ISO 8601, UTC). */
  readonly at: string;
  /** People sent to at that hour (null: hidden by the k-gate). */
  readonly people: number | null;
}

export interface SegmentSendTimes {
  readonly segment: string;
  readonly start: string;
  readonly windowHours: number;
  /** The segment's current members (null when hidden). */
  readonly people: number | null;
  /** Of them, those with engagement history of their own (the rest get the segment's best hour). */
  readonly withHistory: number | null;
  /** The hour someone without history gets. */
  readonly defaultAt: string;
  /** The hours of the window with anyone sent to, in time order. */
  readonly slots: SendTimeSlot[];
  readonly suppressed: boolean;
  readonly minGroup: number;
}

/** The histogram of a segment's send times in a window (see above); unknown or unevaluated segments refused. */
export async function segmentSendTimes(
  engine: Engine,
  segment: string,
  opts: { start: Date; windowHours: number; k: number },
): Promise<SegmentSendTimes> {
  await requireSegment(engine, segment);
  await requireEvaluated(engine, [segment], `segment ${segment}`);
  const { k } = opts;
  return withSendTimes(engine, currentMembersSql(segment), opts, async (times, model) => {
    const r = await engine.query(
      sql`SELECT send_at, count(*) AS n FROM (${times}) t GROUP BY send_at ORDER BY send_at`,
    );
    const at = (r.column("send_at") as Date[]).map((t) => t.toISOString());
    const n = (r.column("n") as unknown[]).map(Number);
    const customers = await customerCount(engine);
    const sizeHid = sizeHidden(model.people, customers, k);
    const { hidden, totalHidden } = suppressPartition(n, k);
    const historyHidden = sizeHid || sizeHidden(model.withHistory, model.people, k);
    return {
      segment,
      start: opts.start.toISOString(),
      windowHours: opts.windowHours,
      people: gated(model.people, sizeHid || totalHidden),
      withHistory: gated(model.withHistory, historyHidden),
      defaultAt: new Date(model.defaultSlot).toISOString(),
      slots: at.map((t, i) => ({ at: t, people: gated(n[i] as number, sizeHid || hidden[i] === true) })),
      suppressed: sizeHid || totalHidden || historyHidden || hidden.some(Boolean),
      minGroup: k,
    };
  });
}
