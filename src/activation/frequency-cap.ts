import { UserError } from "../errors.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";

/**
 * Frequency caps (issue 18, item 3): at most `count` messages on a channel per person per period, across all
 * campaigns — counted from what `campaign_sends` records as sent. A capped person is recorded as such, not sent.
 */
export interface FrequencyCap {
  readonly count: number;
  /** The period, in hours. */
  readonly hours: number;
  /** As written: `2/7d`. */
  readonly text: string;
}

const UNIT_HOURS = { h: 1, d: 24, w: 168 } as const;
/** The longest period: a year (a cap over longer is a lifetime limit, which a campaign's audience expresses better). */
const MAX_HOURS = 366 * 24;
const CAP = /^\s*(\d+)\s*\/\s*(\d+)\s*([hdw])\s*$/;

/**
 * Reads a cap as `--frequency-cap` writes it: `N/PERIOD`, the period a whole number of hours, days or weeks (`2/7d`:
 * at most 2 messages in any 7 days; `1/24h`, `3/2w`). `where` names the option or field in errors.
 */
export function parseFrequencyCap(text: string, where = "--frequency-cap"): FrequencyCap {
  const m = CAP.exec(text);
  if (!m)
    throw new UserError(
      "bad-frequency-cap",
      `"${text}" is not a frequency cap: write N/PERIOD, e.g. 2/7d (at most 2 messages per person in 7 days; periods in h, d or w)`,
      where,
    );
  const count = Number(m[1]);
  const hours = Number(m[2]) * UNIT_HOURS[m[3] as keyof typeof UNIT_HOURS];
  if (count < 1)
    throw new UserError(
      "bad-frequency-cap",
      `a cap of ${count} messages sends nothing: at least 1 per period`,
      where,
    );
  if (hours < 1 || hours > MAX_HOURS)
    throw new UserError(
      "bad-frequency-cap",
      `the period of "${text.trim()}" is ${hours === 0 ? "empty" : "over a year"}: 1h to 366d`,
      where,
    );
  return { count, hours, text: `${count}/${m[2]}${m[3]}` };
}

/**
 * SQL selecting the people among `people` (a query of customer ids) who already have `cap.count` messages on
 * `channel` scheduled within the period before `at` (or after it: a message scheduled later by an earlier send's
 * window reaches them in this period too), counted across every campaign.
 */
export function cappedPeopleSql(people: Sql, channel: string, cap: FrequencyCap, at: Date): Sql {
  const since = new Date(at.getTime() - cap.hours * 3600_000);
  return sql`SELECT s.customer_id AS customer_id FROM campaign_sends s
              WHERE s.status = 'sent' AND s.channel = ${channel}
                AND s.scheduled_at > ${sql.param(since.toISOString(), "timestamp")}
                AND s.customer_id IN (${people})
              GROUP BY s.customer_id
             HAVING count(*) >= ${sql.param(cap.count, "integer")}`;
}

/** The ids of the people `cappedPeopleSql` selects. */
export async function cappedPeople(
  engine: Engine,
  people: Sql,
  channel: string,
  cap: FrequencyCap,
  at: Date,
): Promise<Set<string>> {
  const r = await engine.query(cappedPeopleSql(people, channel, cap, at));
  return new Set(r.column("customer_id") as string[]);
}
