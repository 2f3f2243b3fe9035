import { activitySpan } from "../analytics/data-span.js";
import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { engagementsSql, messageEvents, timeAt } from "./engagement.js";

/**
 * Send times per person (issue 18, item 4): each person's best hour of the week, learned from when they engage,
 * and the hour of a send window that suits them best.
 *
 * Evidence. An engagement is a track, page or screen event of the person's own (not a message sent to them:
 * engagement.ts) or an order. Each is counted at its nearest whole hour (20:40 counts for 21:00: a send at the top
 * of an hour reaches those who engage in the half hour either side), each such hour once per person (a session of
 * twenty page views is one engaged hour, as is an order and its "Order Completed" event), and weighed by recency:
 * half as much every HALF_LIFE_DAYS before the data's last activity. Counts are per hour of the week (168 bins,
 * Monday 00:00 first) in UTC: a person's habits and their send time are both read in UTC, so no time zone is
 * needed (a customer at 21:00 in Berlin engages at 20:00 UTC and is sent to at 20:00 UTC); daylight saving moves a
 * habit by an hour twice a year, which the recency weighting absorbs.
 *
 * Model: an hour-of-week distribution per person, estimated as a hierarchy of Dirichlet posterior means
 * (empirical Bayes: each prior is the pooled data of the level above):
 *
 *     P(hour of day h) = (c[h] + α·Q[h]) / (c + α)          α = PERSON_PSEUDO engaged hours
 *     P(day d | hour h) = (c[d,h] + γ·R[d|h]) / (c[h] + γ)  γ = DAY_PSEUDO engaged hours
 *     score(d, h) = P(h) · P(d | h)
 *
 * where c are the person's weighted counts and Q, R the group's pattern: the same posterior means over the pooled
 * counts of the people being timed (the campaign's audience, the segment) with the whole base's pattern as prior
 * (pseudo-counts GROUP_PSEUDO and GROUP_DAY_PSEUDO), and the base's with add-one (Laplace) smoothing. So someone
 * with one or two engagements gets about their group's pattern; someone with a dozen at 10:00 gets 10:00 whatever
 * their group does; someone with none gets the group's best hour — or, when the group itself has little history
 * (a small segment), the base's. Hour of day is estimated before day of week because habits are daily first:
 * ten engagements at 10:00 on ten different days are strong evidence for 10:00, even though each day's bin holds
 * one or two of them.
 *
 * The choice: of the whole hours inside [start, start + window), the one with the highest score; ties go to the
 * earliest. The per-person work runs in SQL (weighted counts per person and hour of the week, a score per person
 * and hour of the window); TypeScript computes only the group's and the base's 168 figures.
 */

/** Days after which an engagement counts half as much as one at the data's end. */
export const HALF_LIFE_DAYS = 90;
/** α: how many engaged hours the group's hour-of-day pattern is worth in a person's estimate. */
export const PERSON_PSEUDO = 10;
/** γ: how many engaged hours the group's day-of-week pattern (at an hour) is worth in a person's estimate. */
export const DAY_PSEUDO = 10;
/** How many engaged hours the base's hour-of-day pattern is worth in a group's estimate. */
export const GROUP_PSEUDO = 100;
/** How many engaged hours the base's day-of-week pattern (at an hour) is worth in a group's estimate. */
export const GROUP_DAY_PSEUDO = 100;

/** A send window's bounds, in hours. */
export const MIN_WINDOW_HOURS = 1;
export const MAX_WINDOW_HOURS = 168;

const HOUR_MS = 3_600_000;
const WEEK_HOURS = 168;
/** 1970-01-01 (hour 0 of the epoch) was a Thursday: hour-of-week (Monday 00:00 = 0) = (epoch hour + 72) mod 168. */
const EPOCH_HOUR_OF_WEEK = 72;

/** The hour of the week (0 = Monday 00:00 UTC … 167 = Sunday 23:00) of a whole UTC hour (ms since the epoch). */
export function hourOfWeek(ms: number): number {
  return (((Math.round(ms / HOUR_MS) + EPOCH_HOUR_OF_WEEK) % WEEK_HOURS) + WEEK_HOURS) % WEEK_HOURS;
}

/** Checks a send window (hours): 1 to 168. `where` names the option or field in the error. */
export function checkWindowHours(hours: number, where = "--send-window"): void {
  if (!Number.isFinite(hours) || hours < MIN_WINDOW_HOURS || hours > MAX_WINDOW_HOURS)
    throw new UserError(
      "bad-input",
      `a send window is ${MIN_WINDOW_HOURS} to ${MAX_WINDOW_HOURS} hours (a week), got ${Number.isFinite(hours) ? `${hours} h` : String(hours)}`,
      where,
    );
}

const WINDOW_TEXT = /^\s*([0-9]+)\s*([hdw])\s*$/i;

/**
 * A send window as written (`24h`, `2d`, `1w`: whole hours, days or weeks) in hours, checked (1 to 168 hours).
 * `where` names the option or field in errors.
 */
export function parseSendWindow(text: string, where = "--send-window"): number {
  const m = WINDOW_TEXT.exec(text);
  if (!m)
    throw new UserError(
      "bad-input",
      `"${text}" is not a send window: expected <n>h, <n>d or <n>w (e.g. "24h"), 1 hour to 1 week`,
      where,
    );
  const hours = Number(m[1]) * { h: 1, d: 24, w: 168 }[(m[2] as string).toLowerCase() as "h" | "d" | "w"];
  checkWindowHours(hours, where);
  return hours;
}

/** The whole UTC hours inside [start, start + window), as ms since the epoch (at least one when window ≥ 1 h). */
export function windowHours(start: Date, hours: number): number[] {
  const end = start.getTime() + hours * HOUR_MS;
  const out: number[] = [];
  for (let t = Math.ceil(start.getTime() / HOUR_MS) * HOUR_MS; t < end; t += HOUR_MS) out.push(t);
  return out;
}

/** Weighted engaged hours per hour of the week (168 entries). */
export type WeekCounts = Float64Array;

/** A group's pattern, as the score's prior terms: Q[h] per hour of day and R[d|h] per hour of the week. */
export interface Pattern {
  /** P(hour of day), 24 entries. */
  readonly hourOfDay: Float64Array;
  /** P(day | hour), 168 entries indexed by hour of the week. */
  readonly dayGivenHour: Float64Array;
}

/** Hour-of-day sums of hour-of-week counts. */
function byHourOfDay(c: WeekCounts): Float64Array {
  const out = new Float64Array(24);
  for (let b = 0; b < WEEK_HOURS; b++) out[b % 24] = (out[b % 24] as number) + (c[b] as number);
  return out;
}

/**
 * The Dirichlet posterior means of `counts` with `prior` worth `pseudo` engaged hours (hour of day with
 * `hourPseudo`, day given hour with `dayPseudo`); with no prior, add-one smoothing (each bin one pseudo-count).
 */
export function pattern(
  counts: WeekCounts,
  prior: Pattern | null,
  hourPseudo = GROUP_PSEUDO,
  dayPseudo = GROUP_DAY_PSEUDO,
): Pattern {
  const hod = byHourOfDay(counts);
  const total = hod.reduce((a, b) => a + b, 0);
  const hourOfDay = new Float64Array(24);
  const dayGivenHour = new Float64Array(WEEK_HOURS);
  for (let h = 0; h < 24; h++)
    hourOfDay[h] = prior
      ? ((hod[h] as number) + hourPseudo * (prior.hourOfDay[h] as number)) / (total + hourPseudo)
      : ((hod[h] as number) + 1) / (total + 24);
  for (let b = 0; b < WEEK_HOURS; b++) {
    const h = b % 24;
    dayGivenHour[b] = prior
      ? ((counts[b] as number) + dayPseudo * (prior.dayGivenHour[b] as number)) /
        ((hod[h] as number) + dayPseudo)
      : ((counts[b] as number) + 1) / ((hod[h] as number) + 7);
  }
  return { hourOfDay, dayGivenHour };
}

/** A person's score at hour of the week `b` given their counts and their group's pattern (the model above). */
export function personScore(counts: WeekCounts, group: Pattern, b: number): number {
  const h = b % 24;
  const hod = byHourOfDay(counts);
  const total = hod.reduce((a, x) => a + x, 0);
  const pHour =
    ((hod[h] as number) + PERSON_PSEUDO * (group.hourOfDay[h] as number)) / (total + PERSON_PSEUDO);
  const pDay =
    ((counts[b] as number) + DAY_PSEUDO * (group.dayGivenHour[b] as number)) /
    ((hod[h] as number) + DAY_PSEUDO);
  return pHour * pDay;
}

/** The recency weight's exponent per hour: ln 2 / (half-life in hours). */
const DECAY_PER_HOUR = Math.LN2 / (HALF_LIFE_DAYS * 24);

const PEOPLE = "_send_people";
const COUNTS = "_send_counts";
const SLOTS = "_send_slots";
const TIMES = "_send_times";

/**
 * SQL: weighted engaged hours per person (of `who`, a query selecting customer ids; all customers when null) and
 * hour of the week, from engagements before `before`, weighed against the hour `refHour` (epoch hours).
 */
function weekCountsSql(
  engine: Engine,
  who: Sql | null,
  before: number,
  refHour: number,
  outbound: readonly string[],
): Sql {
  const d = engine.dialect;
  const hourIdx = d.cast(sql`floor((${d.epochSeconds(sql`e.ts`)} + 1800) / 3600)`, "integer", "number");
  const hours = sql`SELECT DISTINCT e.customer_id AS customer_id, ${hourIdx} AS hour_idx
                      FROM (${engagementsSql({ who, before: timeAt(engine, before), outbound })}) e`;
  return sql`SELECT customer_id, hw, sum(wt) AS w
               FROM (SELECT customer_id, (hour_idx + ${sql.raw(String(EPOCH_HOUR_OF_WEEK))}) % ${sql.raw(String(WEEK_HOURS))} AS hw,
                            exp((hour_idx - ${sql.param(refHour, "integer")}) * ${sql.raw(String(DECAY_PER_HOUR))}) AS wt
                       FROM (${hours}) x) y
              GROUP BY customer_id, hw`;
}

/** The 168 weighted counts of a query returning (hw, w) rows. */
async function weekCountsOf(engine: Engine, q: Sql): Promise<WeekCounts> {
  const r = await engine.query(q);
  const out = new Float64Array(WEEK_HOURS);
  const hw = r.column("hw");
  const w = r.column("w");
  for (let i = 0; i < hw.length; i++) out[Number(hw[i])] = Number(w[i] ?? 0);
  return out;
}

/** What `withSendTimes` learned about the people it timed, for reports. */
export interface SendTimeModel {
  /** The whole hours of the window, ms since the epoch. */
  readonly slots: readonly number[];
  /** The people timed, and those of them with any engagement of their own. */
  readonly people: number;
  readonly withHistory: number;
  /** The base's and the group's patterns. */
  readonly base: Pattern;
  readonly group: Pattern;
  /** The slot someone without history gets (ms since the epoch). */
  readonly defaultSlot: number;
  /** The time recency is measured from (the data's last activity before the window), null with no data. */
  readonly reference: Date | null;
}

/**
 * Runs `work` with each of `people` (a query selecting `customer_id`) given a send time: `times` is a query
 * selecting `customer_id, send_at`, one row per person, `send_at` the whole hour inside [start, start +
 * windowHours) with the highest score for them (the model above). Valid only inside the callback. A window under
 * 1 hour or over 168 is refused.
 */
export async function withSendTimes<T>(
  engine: Engine,
  people: Sql,
  opts: { start: Date; windowHours: number },
  work: (times: Sql, model: SendTimeModel) => Promise<T>,
): Promise<T> {
  checkWindowHours(opts.windowHours);
  if (Number.isNaN(opts.start.getTime())) throw new UserError("bad-input", "not a valid time", "start");
  const d = engine.dialect;
  const slots = windowHours(opts.start, opts.windowHours);
  const startMs = opts.start.getTime();
  const span = await activitySpan(engine, new Date(startMs - 1));
  const reference = span.last;
  const refHour = reference ? Math.round(reference.getTime() / HOUR_MS) : Math.round(startMs / HOUR_MS);
  const { outbound } = await messageEvents(engine);
  const temps = [PEOPLE, COUNTS, SLOTS, TIMES];
  try {
    await engine.run([
      ...d.createTempAs(PEOPLE, sql`SELECT DISTINCT customer_id FROM (${people}) p`),
      ...d.createTempAs(
        COUNTS,
        weekCountsSql(engine, sql`SELECT customer_id FROM ${sql.temp(PEOPLE)}`, startMs, refHour, outbound),
      ),
    ]);
    const base = pattern(
      await weekCountsOf(
        engine,
        sql`SELECT hw, sum(w) AS w FROM (${weekCountsSql(engine, null, startMs, refHour, outbound)}) c GROUP BY hw`,
      ),
      null,
    );
    const group = pattern(
      await weekCountsOf(engine, sql`SELECT hw, sum(w) AS w FROM ${sql.temp(COUNTS)} GROUP BY hw`),
      base,
    );
    // The slots with the group's prior terms: what a person's score adds to their own counts.
    const hw = slots.map(hourOfWeek);
    const priorScore = hw.map((b) => (group.hourOfDay[b % 24] as number) * (group.dayGivenHour[b] as number));
    let best = 0;
    for (let i = 1; i < slots.length; i++)
      if ((priorScore[i] as number) > (priorScore[best] as number)) best = i;
    const defaultSlot = slots[best] as number;
    await engine.appendTemp(SLOTS, [
      { name: "k", type: "integer", values: slots.map((_, i) => i) },
      { name: "at_s", type: "integer", values: slots.map((t) => t / 1000) },
      { name: "hw", type: "integer", values: hw },
      { name: "h", type: "integer", values: hw.map((b) => b % 24) },
      {
        name: "a_prior",
        type: "number",
        values: hw.map((b) => PERSON_PSEUDO * (group.hourOfDay[b % 24] as number)),
      },
      {
        name: "g_prior",
        type: "number",
        values: hw.map((b) => DAY_PSEUDO * (group.dayGivenHour[b] as number)),
      },
    ]);
    // Per person with history: the score at every slot (the person's total only scales it: left out), best first.
    const hod = sql`SELECT customer_id, hw % 24 AS h, sum(w) AS c FROM ${sql.temp(COUNTS)} GROUP BY customer_id, hw % 24`;
    const scored = sql`SELECT p.customer_id AS customer_id, s.k AS k, s.at_s AS at_s,
                              (coalesce(o.c, 0) + s.a_prior) * (coalesce(w.w, 0) + s.g_prior)
                                / (coalesce(o.c, 0) + ${sql.raw(String(DAY_PSEUDO))}) AS score
                         FROM (SELECT DISTINCT customer_id FROM ${sql.temp(COUNTS)}) p
                        CROSS JOIN ${sql.temp(SLOTS)} s
                         LEFT JOIN (${hod}) o ON o.customer_id = p.customer_id AND o.h = s.h
                         LEFT JOIN ${sql.temp(COUNTS)} w ON w.customer_id = p.customer_id AND w.hw = s.hw`;
    const ranked = sql`SELECT customer_id, at_s,
                              row_number() OVER (PARTITION BY customer_id ORDER BY score DESC, k) AS rn
                         FROM (${scored}) x`;
    await engine.run(
      d.createTempAs(
        TIMES,
        sql`SELECT p.customer_id AS customer_id,
                   ${d.timestampFromEpochSeconds(sql`coalesce(b.at_s, ${sql.param(defaultSlot / 1000, "integer")})`)} AS send_at
              FROM ${sql.temp(PEOPLE)} p
              LEFT JOIN (SELECT customer_id, at_s FROM (${ranked}) r WHERE rn = 1) b ON b.customer_id = p.customer_id`,
      ),
    );
    const n = await engine.query(
      sql`SELECT (SELECT count(*) FROM ${sql.temp(PEOPLE)}) AS people,
                 (SELECT count(DISTINCT customer_id) FROM ${sql.temp(COUNTS)}) AS with_history`,
    );
    const model: SendTimeModel = {
      slots,
      people: Number(n.column("people")[0]),
      withHistory: Number(n.column("with_history")[0]),
      base,
      group,
      defaultSlot,
      reference,
    };
    return await work(sql`SELECT customer_id, send_at FROM ${sql.temp(TIMES)}`, model);
  } finally {
    await engine.run(temps.map((t) => sql`DROP TABLE IF EXISTS ${sql.temp(t)}`));
  }
}
