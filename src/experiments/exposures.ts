import { reportMinGroup } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import { type AssignResult, stagedCounts } from "./assignment-counts.js";
import type { Experiment } from "./experiments.js";
import type { ExposureReport } from "./exposures-report.js";

export type { ExposureReport } from "./exposures-report.js";

/**
 * Exposures from outside (issue 20, item 1): an experiment run by a website or an app, read here from the events
 * it sends — by Segment's and GrowthBook's convention an `Experiment Viewed` track event with the properties
 * `experiment_id` (this experiment's id) and `variation_id`. A person's FIRST exposure event for the experiment
 * (by time, then message id) gives their variant and `assigned_at` (source `event`); later exposures never move
 * them. A variation id names a variant, or is its 0-based index as GrowthBook's SDKs send it (`0` the control)
 * when no variant is named so. A first exposure to a variation that is not among the variants is reported (how
 * many people, and the variation ids) and not assigned. Exposures after the experiment's end are not read.
 *
 * The global holdout does not apply: the website decided what these people saw, and the record says what they saw.
 */

const FIRST = "_experiment_first_exposures";
const MAP = "_experiment_variation_map";
const NEW = "_experiment_new";

/** The variation ids that name each variant: its name, and its index where no variant is named so. */
function variationMap(e: Experiment): { variation: string; variant: string }[] {
  const names = new Set(e.variants.map((v) => v.name));
  return e.variants.flatMap((v, i) => [
    { variation: v.name, variant: v.name },
    ...(names.has(String(i)) ? [] : [{ variation: String(i), variant: v.name }]),
  ]);
}

/** Assigns the people first exposed since the last run (see above); `at` bounds the events read. */
export async function assignFromExposures(engine: Engine, e: Experiment, at: Date): Promise<AssignResult> {
  const d = engine.dialect;
  const event = "exposures" in e.population ? e.population.exposures.event : "";
  const map = variationMap(e);
  await engine.appendTemp(MAP, [
    { name: "variation", type: "string", values: map.map((m) => m.variation) },
    { name: "variant", type: "string", values: map.map((m) => m.variant) },
  ]);
  const until = e.end !== null && Date.parse(e.end) < at.getTime() ? new Date(e.end) : at;
  const first = sql.temp(FIRST);
  const staged = sql.temp(NEW);
  try {
    await engine.run(
      d.createTempAs(
        FIRST,
        sql`SELECT customer_id, variation, ts FROM (
              SELECT customer_id, ${d.jsonText(sql`properties`, "variation_id")} AS variation, ts,
                     row_number() OVER (PARTITION BY customer_id ORDER BY ts, message_id) AS rn
                FROM events
               WHERE event = ${event} AND customer_id IS NOT NULL
                 AND ${d.jsonText(sql`properties`, "experiment_id")} = ${e.id}
                 AND ts <= ${sql.param(until.toISOString(), "timestamp")}) x
             WHERE rn = 1`,
      ),
    );
    await engine.run(
      d.createTempAs(
        NEW,
        sql`SELECT f.customer_id AS customer_id, m.variant AS variant, f.ts AS ts
              FROM ${first} f JOIN ${sql.temp(MAP)} m ON m.variation = f.variation
             WHERE f.customer_id NOT IN
                   (SELECT customer_id FROM experiment_assignments WHERE experiment_id = ${e.id})`,
      ),
    );
    const counts = await stagedCounts(engine, e, staged);
    const report = await exposureReport(engine, e, event, until);
    await engine.run(
      sql`INSERT INTO experiment_assignments (experiment_id, customer_id, variant, assigned_at, source)
          SELECT ${e.id}, customer_id, variant, ts, 'event' FROM ${staged}`,
    );
    return {
      experiment: e.id,
      source: "event",
      at: at.toISOString(),
      weights: e.variants,
      weightsFrom: "events",
      globalHoldout: 0,
      ...counts,
      exposures: report,
    };
  } finally {
    await engine.run([
      sql`DROP TABLE IF EXISTS ${staged}`,
      sql`DROP TABLE IF EXISTS ${first}`,
      sql`DROP TABLE IF EXISTS ${sql.temp(MAP)}`,
    ]);
  }
}

/** Unknown variations among first exposures, and people exposed to more than one variant (k-gated). */
async function exposureReport(
  engine: Engine,
  e: Experiment,
  event: string,
  until: Date,
): Promise<ExposureReport> {
  const d = engine.dialect;
  const k = await reportMinGroup(engine);
  const gate = (n: number) => (n > 0 && n < k ? null : n);
  const unknown = await engine.query(
    sql`SELECT u.variation AS variation, count(*) AS people
          FROM (SELECT coalesce(f.variation, '') AS variation
                  FROM ${sql.temp(FIRST)} f LEFT JOIN ${sql.temp(MAP)} m ON m.variation = f.variation
                 WHERE m.variant IS NULL) u
         GROUP BY u.variation ORDER BY people DESC, variation`,
  );
  const rows = unknown.rows<{ variation: string; people: unknown }>().map((r) => ({
    variation: r.variation,
    people: Number(r.people),
  }));
  const unknownPeople = rows.reduce((s, r) => s + r.people, 0);
  // Exposed to a variant other than the first one's, at any time until the end (known variations only).
  const crossed = await engine.query(
    sql`SELECT count(DISTINCT x.customer_id) AS n
          FROM (SELECT customer_id, ${d.jsonText(sql`properties`, "variation_id")} AS variation FROM events
                 WHERE event = ${event} AND customer_id IS NOT NULL
                   AND ${d.jsonText(sql`properties`, "experiment_id")} = ${e.id}
                   AND ts <= ${sql.param(until.toISOString(), "timestamp")}) x
          JOIN ${sql.temp(MAP)} m ON m.variation = x.variation
          JOIN ${sql.temp(FIRST)} f ON f.customer_id = x.customer_id
          JOIN ${sql.temp(MAP)} fm ON fm.variation = f.variation
         WHERE m.variant <> fm.variant`,
  );
  return {
    event,
    unknownPeople: gate(unknownPeople),
    unknownVariations: rows.slice(0, 5).map((r) => ({ variation: r.variation, people: gate(r.people) })),
    crossedOver: gate(Number(crossed.column("n")[0] ?? 0)),
  };
}
