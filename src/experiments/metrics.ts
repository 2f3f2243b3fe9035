import { timeAt } from "../activation/engagement.js";
import { PURCHASE_SQL } from "../analytics/summaries.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { checkNames, clickEventNames } from "./metric-names.js";
import { type Plan, planColumns, type Quantity, type Table } from "./metric-plan.js";
import type { MetricSpec } from "./metric-spec.js";

/**
 * Per-arm sums of an experiment's metrics, computed in SQL over the raw events, orders and campaign sends (issue
 * 20, item 2): what the statistics engine reads (`ArmSummary`), never a customer.
 *
 * Who is in the experiment: each person's earliest assignment (`experiment_assignments`, at or before the as-of
 * time); their exposure time is that assignment's. Each table is scanned once for all metrics: the rows of the
 * assigned people, with their time relative to exposure, aggregated per person into one column per measure and
 * window (conditional aggregates), then per arm (and per segment) into n, Σy, Σy², Σx, Σx², Σxy, Σd, Σd², Σyd.
 *
 * A metric with a fixed window (conversion:7d) counts only the people whose window has ended by the as-of time:
 * a person exposed yesterday has not had seven days to convert, and counting them as non-converters would mix
 * windows of different lengths (the variants are randomised, so leaving them out biases no comparison).
 */

/** A CUPED covariate's or a ratio denominator's sums over an arm. */
export interface PairSums {
  readonly sum: number;
  readonly sum_squares: number;
  /** Σ x·y (covariate) or Σ y·d (denominator). */
  readonly sum_products: number;
}

/** One metric over one arm. */
export interface MetricSums {
  /** People counted (those whose window has ended). */
  readonly n: number;
  readonly sum: number;
  readonly sum_squares: number;
  readonly covariate?: PairSums;
  readonly denominator?: PairSums;
}

/** One arm (a variant, or `holdout`), overall or within one segment. */
export interface ArmSums {
  readonly variant: string;
  /** The segment, for per-segment sums; null overall. */
  readonly segment: string | null;
  /** People assigned to the arm (at or before the as-of time). */
  readonly people: number;
  /** One per metric, in the metrics' order. */
  readonly metrics: readonly MetricSums[];
}

export interface MetricSumsResult {
  readonly arms: readonly ArmSums[];
  /** Per segment (when asked): people of each segment at their exposure, per arm. */
  readonly segments: readonly ArmSums[];
  /** The first and last exposure counted (null when nobody is assigned). */
  readonly firstExposure: Date | null;
  readonly lastExposure: Date | null;
}

const ASSIGNED = "_exp_assigned";
const PEOPLE = "_exp_people";

/**
 * Sums per arm (and per segment of `segments`: people counted in the segments they were members of when exposed —
 * a segment's membership is known from its first evaluation on, so people exposed before it count by their
 * membership then)
 * of `metrics` for the experiment `experimentId`, as of `asOf`. An event or campaign a metric names that the data
 * does not hold is a user error naming the metric and the name.
 */
export async function metricSums(
  engine: Engine,
  opts: {
    experimentId: string;
    metrics: readonly MetricSpec[];
    asOf: Date;
    segments?: readonly string[];
  },
): Promise<MetricSumsResult> {
  const d = engine.dialect;
  const asOfMs = opts.asOf.getTime();
  const asOf = timeAt(engine, asOfMs);
  await checkNames(engine, opts.metrics);
  const clickNames = await clickEventNames(engine, opts.metrics);

  await engine.run(
    d.createTempAs(
      ASSIGNED,
      sql`SELECT customer_id, ${d.argMin(sql`variant`, sql`assigned_at`)} AS variant,
                 ${d.epochSeconds(sql`min(assigned_at)`)} AS t0
            FROM experiment_assignments
           WHERE experiment_id = ${opts.experimentId} AND assigned_at <= ${asOf} AND customer_id IS NOT NULL
           GROUP BY customer_id`,
    ),
  );
  try {
    const range = await engine.query(sql`SELECT min(t0) AS lo, max(t0) AS hi FROM ${sql.temp(ASSIGNED)}`);
    const lo = range.column("lo")[0];
    const hi = range.column("hi")[0];
    if (lo === null || lo === undefined) {
      return { arms: [], segments: [], firstExposure: null, lastExposure: null };
    }
    const loMs = Number(lo) * 1000;
    const plan = planColumns(opts.metrics, clickNames);
    // The earliest row any window reads: the first exposure less the longest pre-exposure window.
    const from = timeAt(engine, loMs + plan.earliestMs);
    const scans = scanTables(engine, plan, asOf, from);
    await engine.run(d.createTempAs(PEOPLE, peopleSql(engine, opts.metrics, plan, scans, asOfMs)));
    const arms = await aggregate(engine, opts.metrics, null);
    const segments = opts.segments?.length ? await aggregate(engine, opts.metrics, opts.segments) : [];
    return { arms, segments, firstExposure: new Date(loMs), lastExposure: new Date(Number(hi) * 1000) };
  } finally {
    await engine.run([
      sql`DROP TABLE IF EXISTS ${sql.temp(PEOPLE)}`,
      sql`DROP TABLE IF EXISTS ${sql.temp(ASSIGNED)}`,
    ]);
  }
}

/** One aggregate query per table read: per assigned person, the plan's columns of that table. */
function scanTables(engine: Engine, plan: Plan, asOf: Sql, from: Sql): Map<Table, Sql> {
  const d = engine.dialect;
  const out = new Map<Table, Sql>();
  const assigned = sql.temp(ASSIGNED);
  const w = sql.raw("r.w");
  const cols = (table: Table) =>
    sql.join(
      plan.columns.filter((c) => c.table === table).map((c) => sql`${c.agg(w)} AS ${sql.raw(c.alias)}`),
    );
  const rel = (ts: Sql) => sql`${d.epochSeconds(ts)} - a.t0`;
  if (plan.tables.has("orders")) {
    out.set(
      "orders",
      sql`SELECT r.customer_id AS customer_id, ${cols("orders")}
            FROM (SELECT o.customer_id AS customer_id, ${rel(sql`o.ts`)} AS w, o.total AS total
                    FROM orders o JOIN ${assigned} a ON a.customer_id = o.customer_id
                   WHERE o.ts <= ${asOf} AND o.ts >= ${from} AND ${PURCHASE_SQL}) r
           GROUP BY r.customer_id`,
    );
  }
  if (plan.tables.has("events")) {
    const names = plan.allEvents
      ? sql.empty
      : sql` AND e.event IN (${plan.eventNames.length ? sql.join(plan.eventNames) : sql`NULL`})`;
    // A click's campaign: its `campaign` property (the synthetic data's), else `campaign_id`. Read only when a
    // click-through metric needs it (reading properties costs more than the rest of the scan).
    const campaign = plan.readsCampaign
      ? sql`coalesce(${d.jsonText(sql`e.properties`, "campaign")}, ${d.jsonText(sql`e.properties`, "campaign_id")})`
      : sql`NULL`;
    out.set(
      "events",
      sql`SELECT r.customer_id AS customer_id, ${cols("events")}
            FROM (SELECT e.customer_id AS customer_id, ${rel(sql`e.ts`)} AS w, e.event AS event, ${campaign} AS campaign
                    FROM events e JOIN ${assigned} a ON a.customer_id = e.customer_id
                   WHERE e.ts <= ${asOf} AND e.ts >= ${from}${names}) r
           GROUP BY r.customer_id`,
    );
  }
  if (plan.tables.has("sends")) {
    out.set(
      "sends",
      sql`SELECT r.customer_id AS customer_id, ${cols("sends")}
            FROM (SELECT s.customer_id AS customer_id, ${rel(sql`coalesce(s.sent_at, s.scheduled_at)`)} AS w, s.campaign_id AS campaign_id
                    FROM campaign_sends s JOIN ${assigned} a ON a.customer_id = s.customer_id
                   WHERE s.status = 'sent' AND s.campaign_id IN (${sql.join(plan.campaigns)})
                     AND coalesce(s.sent_at, s.scheduled_at) <= ${asOf}) r
           GROUP BY r.customer_id`,
    );
  }
  return out;
}

/**
 * The per-person table: each assigned person's arm, exposure, and per metric y, x (CUPED) and d (ratio), NULL
 * for a person whose window has not ended by the as-of time.
 */
function peopleSql(
  engine: Engine,
  metrics: readonly MetricSpec[],
  plan: Plan,
  scans: Map<Table, Sql>,
  asOfMs: number,
): Sql {
  const d = engine.dialect;
  const alias: Record<Table, string> = { orders: "o", events: "e", sends: "s" };
  const value = (q: Quantity): Sql =>
    sql.join(
      q.columns.map((c) => sql`coalesce(${sql.raw(`${alias[c.table]}.${c.alias}`)}, 0)`),
      " + ",
    );
  const selects: Sql[] = [];
  metrics.forEach((m, i) => {
    const p = plan.metrics[i] as Plan["metrics"][number];
    const { startMs, lengthMs } = m.window;
    const ended =
      lengthMs === null
        ? sql`true`
        : sql`a.t0 + ${sql.raw(String((startMs + lengthMs) / 1000))} <= ${sql.raw(String(asOfMs / 1000))}`;
    const y = m.statistic === "proportion" ? sql`CASE WHEN ${value(p.y)} > 0 THEN 1 ELSE 0 END` : value(p.y);
    const num = (e: Sql) => d.cast(sql`CASE WHEN ${ended} THEN ${e} END`, "number");
    selects.push(sql`${num(y)} AS ${sql.raw(`y${i}`)}`);
    if (p.x) {
      const x =
        m.statistic === "proportion" ? sql`CASE WHEN ${value(p.x)} > 0 THEN 1 ELSE 0 END` : value(p.x);
      selects.push(sql`${num(x)} AS ${sql.raw(`x${i}`)}`);
    }
    if (p.d) selects.push(sql`${num(value(p.d))} AS ${sql.raw(`d${i}`)}`);
  });
  const joins = [...scans].map(
    ([table, q]) =>
      sql` LEFT JOIN (${q}) ${sql.raw(alias[table])} ON ${sql.raw(alias[table])}.customer_id = a.customer_id`,
  );
  return sql`SELECT a.customer_id AS customer_id, a.variant AS variant, a.t0 AS t0, ${sql.join(selects)}
               FROM ${sql.temp(ASSIGNED)} a${sql.join(joins, "")}`;
}

/** Per arm (or per segment and arm) sums of the per-person table. */
async function aggregate(
  engine: Engine,
  metrics: readonly MetricSpec[],
  segments: readonly string[] | null,
): Promise<ArmSums[]> {
  const aggs: Sql[] = [sql`count(*) AS people`];
  metrics.forEach((m, i) => {
    const [y, x, dd] = [`p.y${i}`, `p.x${i}`, `p.d${i}`].map((s) => sql.raw(s)) as [Sql, Sql, Sql];
    aggs.push(sql`count(${y}) AS ${sql.raw(`n${i}`)}`, sql`sum(${y}) AS ${sql.raw(`sy${i}`)}`);
    aggs.push(sql`sum(${y} * ${y}) AS ${sql.raw(`syy${i}`)}`);
    if (m.cuped) {
      aggs.push(sql`sum(${x}) AS ${sql.raw(`sx${i}`)}`, sql`sum(${x} * ${x}) AS ${sql.raw(`sxx${i}`)}`);
      aggs.push(sql`sum(${x} * ${y}) AS ${sql.raw(`sxy${i}`)}`);
    }
    if (m.denominator) {
      aggs.push(sql`sum(${dd}) AS ${sql.raw(`sd${i}`)}`, sql`sum(${dd} * ${dd}) AS ${sql.raw(`sdd${i}`)}`);
      aggs.push(sql`sum(${y} * ${dd}) AS ${sql.raw(`syd${i}`)}`);
    }
  });
  const d = engine.dialect;
  const people = sql.temp(PEOPLE);
  const q =
    segments === null
      ? sql`SELECT p.variant AS variant, ${sql.join(aggs)} FROM ${people} p GROUP BY p.variant ORDER BY p.variant`
      : sql`SELECT m.segment_id AS segment, p.variant AS variant, ${sql.join(aggs)}
              FROM ${people} p
              JOIN (SELECT DISTINCT sm.segment_id AS segment_id, sm.customer_id AS customer_id
                      FROM segment_membership sm
                      JOIN ${sql.temp(ASSIGNED)} a ON a.customer_id = sm.customer_id
                      JOIN (SELECT segment_id, ${d.epochSeconds(sql`min(entered_at)`)} AS first_at
                              FROM segment_membership WHERE segment_id IN (${sql.join(segments)})
                             GROUP BY segment_id) f ON f.segment_id = sm.segment_id
                     WHERE sm.segment_id IN (${sql.join(segments)})
                       AND ${d.epochSeconds(sql`sm.entered_at`)} <= greatest(a.t0, f.first_at)
                       AND (sm.exited_at IS NULL OR ${d.epochSeconds(sql`sm.exited_at`)} > greatest(a.t0, f.first_at))) m
                ON m.customer_id = p.customer_id
             GROUP BY m.segment_id, p.variant ORDER BY m.segment_id, p.variant`;
  const rows = (await engine.query(q)).rows<Record<string, unknown>>();
  const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
  return rows.map((r) => ({
    variant: String(r.variant),
    segment: segments === null ? null : String(r.segment),
    people: num(r.people),
    metrics: metrics.map((m, i) => ({
      n: num(r[`n${i}`]),
      sum: num(r[`sy${i}`]),
      sum_squares: num(r[`syy${i}`]),
      ...(m.cuped
        ? {
            covariate: {
              sum: num(r[`sx${i}`]),
              sum_squares: num(r[`sxx${i}`]),
              sum_products: num(r[`sxy${i}`]),
            },
          }
        : {}),
      ...(m.denominator
        ? {
            denominator: {
              sum: num(r[`sd${i}`]),
              sum_squares: num(r[`sdd${i}`]),
              sum_products: num(r[`syd${i}`]),
            },
          }
        : {}),
    })),
  }));
}
