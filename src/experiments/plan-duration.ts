import { timeAt } from "../activation/engagement.js";
import { UserError } from "../errors.js";
import { isSmall } from "../privacy/k-gate.js";
import { gatedSegmentSizes } from "../segments/membership-reports.js";
import { requireEvaluated, requireSegment } from "../segments/segment-store.js";
import { currentMembersSql } from "../segments/stays.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";

/**
 * How long an experiment on a segment takes to reach its sample size (issue 20, item 5).
 *
 * An experiment enrols a person when they show up (are active: an event or an order) after it starts. How many of
 * the segment's current members show up within d days is read from the recent data: the members active in the
 * last d days before the data's end (the reach curve, at 1, 7, 14, 28, 56 and 91 days). The duration is the first
 * d whose reach covers the people needed (interpolated between the curve's points); past 91 days the curve is
 * extended by its last slope (members newly seen per day between 56 and 91 days), and never past the segment's
 * size: a segment smaller than the need cannot be filled by its current members. A campaign that assigns every
 * current member at once needs only the segment's size (`all_at_once`).
 *
 * Every count is an aggregate that leaves: through the k-gate (the segment's size as `segment list` shows it; the
 * reach points by `gatedReach`).
 */

/**
 * Which points of a cumulative reach curve (non-decreasing counts, at most `size`) may be shown: the people between
 * two shown points (0 before the first, the segment's size after the last) are a group the reader can work out,
 * so every such difference must be 0 or at least k. Of the sets of points that satisfy it, the largest is kept (the
 * curve has a handful of points: every subset is tried; ties keep the later points).
 */
export function gatedReach(raw: readonly number[], size: number, k: number): boolean[] {
  const m = raw.length;
  let best = 0;
  let bestCount = -1;
  for (let mask = (1 << m) - 1; mask >= 0; mask--) {
    let last = 0;
    let ok = true;
    let count = 0;
    for (let i = 0; i < m && ok; i++) {
      if (!(mask & (1 << i))) continue;
      ok = !isSmall((raw[i] as number) - last, k);
      last = raw[i] as number;
      count++;
    }
    if (ok && !isSmall(size - last, k) && count > bestCount) {
      best = mask;
      bestCount = count;
    }
  }
  return raw.map((_, i) => (best & (1 << i)) !== 0);
}

export const REACH_DAYS = [1, 7, 14, 28, 56, 91] as const;

export interface ReachPoint {
  readonly days: number;
  /** Members active in the last `days` days (null: suppressed by the k-gate). */
  readonly people: number | null;
}

export interface SegmentDuration {
  readonly segment: string;
  /** The segment's size at its last refresh (k-gated: null when hidden). */
  readonly size: number | null;
  /** The people the experiment needs, its holdout included. */
  readonly needed: number;
  readonly holdout: number;
  /** The end of the recent data the reach is read over. */
  readonly as_of: string;
  readonly reach: readonly ReachPoint[];
  /** Members newly seen per day at the curve's end (the slope between 56 and 91 days; null when hidden). */
  readonly new_per_day: number | null;
  /** Whole days to enrol `needed` people at the recent pace, or null with the reason. */
  readonly days: number | null;
  readonly all_at_once: boolean;
  readonly note: string;
}

const DAY_MS = 86_400_000;

/** The reach curve and the duration for `needed` people (see the module's comment). */
export async function segmentDuration(
  engine: Engine,
  segment: string,
  needed: number,
  opts: { readonly asOf: Date; readonly k: number; readonly holdout: number },
): Promise<SegmentDuration> {
  await requireSegment(engine, segment);
  await requireEvaluated(engine, [segment], "--segment");
  const sizes = await gatedSegmentSizes(engine, opts.k);
  const hidden = sizes.hidden.has(segment);
  const size = hidden ? null : (sizes.sizes.get(segment) ?? 0);
  const asOf = opts.asOf;
  const longest = REACH_DAYS[REACH_DAYS.length - 1] as number;
  const from = timeAt(engine, asOf.getTime() - longest * DAY_MS);
  const to = timeAt(engine, asOf.getTime());
  const d = engine.dialect;
  const counts = REACH_DAYS.map(
    (days, i) =>
      sql`${d.aggIf("count", [], sql`y.t > ${d.epochSeconds(timeAt(engine, asOf.getTime() - days * DAY_MS))}`)} AS ${sql.raw(`r${i}`)}`,
  );
  const r = await engine.query(
    sql`SELECT ${sql.join(counts)} FROM (
          SELECT m.customer_id AS customer_id, max(${d.epochSeconds(sql`x.ts`)}) AS t
            FROM (${currentMembersSql(segment)}) m
            JOIN (SELECT customer_id, ts FROM events WHERE ts > ${from} AND ts <= ${to}
                  UNION ALL SELECT customer_id, ts FROM orders WHERE ts > ${from} AND ts <= ${to}) x
              ON x.customer_id = m.customer_id
           GROUP BY m.customer_id) y`,
  );
  const row = r.rows<Record<string, unknown>>()[0] ?? {};
  const raw = REACH_DAYS.map((_, i) => Number(row[`r${i}`] ?? 0));
  const shown = hidden ? raw.map(() => false) : gatedReach(raw, size as number, opts.k);
  const reach = REACH_DAYS.map((days, i) => ({ days, people: shown[i] ? (raw[i] as number) : null }));
  const last = raw[raw.length - 1] as number;
  const before = raw[raw.length - 2] as number;
  const slopeDays = longest - (REACH_DAYS[REACH_DAYS.length - 2] as number);
  const slope = (last - before) / slopeDays;
  const slopeHidden = !(shown[shown.length - 1] && shown[shown.length - 2]);
  const allAtOnce = size !== null && size >= needed;

  let days: number | null = null;
  let note: string;
  if (hidden) {
    note = `the segment has fewer than ${opts.k} members (or its size would reveal a small group): no duration is shown`;
  } else if (size !== null && size < needed) {
    note = `the segment has ${size.toLocaleString("en-US")} members, fewer than the ${needed.toLocaleString("en-US")} needed: widen it, lower the effect's ambition, or count on new members joining`;
  } else {
    let prevDays = 0;
    let prevReach = 0;
    for (const [i, dd] of REACH_DAYS.entries()) {
      const x = raw[i] as number;
      if (x >= needed) {
        days = Math.ceil(prevDays + ((needed - prevReach) / (x - prevReach)) * (dd - prevDays));
        break;
      }
      prevDays = dd;
      prevReach = x;
    }
    if (days === null && slope > 0) days = Math.ceil(longest + (needed - last) / slope);
    note =
      days === null
        ? `too few of its members were active in the last ${longest} days to estimate when ${needed.toLocaleString("en-US")} would show up`
        : `at the pace of the ${longest} days before ${asOf.toISOString().slice(0, 10)}, ${needed.toLocaleString("en-US")} of its members show up (are active) within about ${days} day${days === 1 ? "" : "s"}` +
          (allAtOnce ? "; assigning every current member at once (a campaign send) needs no wait" : "");
  }
  return {
    segment,
    size,
    needed,
    holdout: opts.holdout,
    as_of: asOf.toISOString(),
    reach,
    new_per_day: slopeHidden ? null : Math.round(slope * 100) / 100,
    days,
    all_at_once: allAtOnce,
    note,
  };
}

/** The people an experiment needs with a holdout share h: the arms' total over 1 − h (rounded up). */
export function neededWithHoldout(total: number, holdout: number): number {
  if (!(holdout >= 0 && holdout < 1))
    throw new UserError(
      "bad-holdout",
      `a holdout is from 0% up to (not including) 100%, got ${holdout}`,
      "--holdout",
    );
  return Math.ceil(total / (1 - holdout) - 1e-9);
}
