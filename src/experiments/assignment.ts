import { audienceCandidatesSql, audienceNamed, segmentsOf } from "../activation/audiences.js";
import { UserError } from "../errors.js";
import { requireEvaluated } from "../segments/segment-store.js";
import { currentMembersSql } from "../segments/stays.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import { type AssignResult, stagedCounts } from "./assignment-counts.js";
import { hashDrawSql, variantSql } from "./assignment-draw.js";
import { type Experiment, experimentNamed, listExperiments, phaseOf } from "./experiments.js";
import { assignFromExposures } from "./exposures.js";
import { GLOBAL_HOLDOUT_SEED, readGlobalHoldout } from "./global-holdout.js";
import { HOLDOUT_VARIANT, type Variant, weightsFor } from "./variants.js";

export type { AssignResult } from "./assignment-counts.js";

/**
 * Assignment (issue 20, item 1): who of an experiment's population is in which variant, written once per person
 * (`experiment_assignments`, `assigned_at` the time they were first assigned) and never moved. By hash: the draw
 * of the experiment's seed and the person's id (assignment-draw.ts) — first the experiment's holdout, then the
 * rest split by cumulative weights (a bandit's latest allocation at or before now, else the planned ones); people
 * in the global holdout get `holdout`. Done in SQL over the whole population, inserting only people not yet
 * assigned, so adding people never moves anyone. By events: exposures.ts.
 *
 * Consent is not asked for: an assignment contacts nobody. A campaign that treats a variant's people reaches them
 * through its own audience's consent gate, and a person without consent is simply not sent anything.
 */

/** The people an experiment is about now, as SQL selecting `customer_id` (before consent). */
export async function populationSql(engine: Engine, e: Experiment): Promise<Sql> {
  const p = e.population;
  if ("segment" in p) {
    await requireEvaluated(engine, [p.segment], `experiment ${e.id}`);
    return currentMembersSql(p.segment);
  }
  if ("audience" in p) {
    const a = await audienceNamed(engine, p.audience, "audience");
    await requireEvaluated(engine, segmentsOf(a.segments), `experiment ${e.id}`);
    return audienceCandidatesSql(a.segments);
  }
  throw new Error(`experiment ${e.id}: exposures have no population to hash`);
}

/** The weights new people are split by at `at`: a bandit's latest allocation at or before then, else the planned. */
export async function currentWeights(
  engine: Engine,
  e: Experiment,
  at: Date,
): Promise<{ weights: readonly Variant[]; from: "planned" | "bandit" }> {
  if (e.bandit === null) return { weights: e.variants, from: "planned" };
  const r = await engine.query(
    sql`SELECT weights FROM experiment_allocations
         WHERE experiment_id = ${e.id} AND effective_at <= ${sql.param(at.toISOString(), "timestamp")}
         ORDER BY effective_at DESC LIMIT 1`,
  );
  const stored = r.rowCount ? r.column("weights")[0] : null;
  const weights = stored === null ? null : weightsFor(stored, e.variants);
  return weights ? { weights, from: "bandit" } : { weights: e.variants, from: "planned" };
}

const NEW = "_experiment_new";

/** Refuses to assign to an experiment that has not started or has ended. */
function requireRunning(e: Experiment, at: Date): void {
  const phase = phaseOf(e, at);
  if (phase === "scheduled")
    throw new UserError(
      "experiment-not-running",
      `experiment ${e.id} starts at ${e.start}: nobody is assigned before`,
      "id",
    );
  if (phase === "ended")
    throw new UserError(
      "experiment-not-running",
      `experiment ${e.id} ended at ${e.end}: nobody new is assigned`,
      "id",
    );
}

/**
 * Assigns the experiment's people not assigned yet, at `at` (default now): by hash over its population, or from
 * exposure events. Refused before the start and after the end.
 */
export async function assignExperiment(
  engine: Engine,
  e: Experiment,
  at = new Date(),
): Promise<AssignResult> {
  requireRunning(e, at);
  if ("exposures" in e.population) return assignFromExposures(engine, e, at);
  const d = engine.dialect;
  const population = await populationSql(engine, e);
  const { weights, from } = await currentWeights(engine, e, at);
  const global = (await readGlobalHoldout(engine)).share;
  const draw = hashDrawSql(d, e.seed, sql`s.customer_id`);
  const globalDraw = global > 0 ? hashDrawSql(d, GLOBAL_HOLDOUT_SEED, sql`s.customer_id`) : sql`1.0`;
  const staged = sql.temp(NEW);
  await engine.run(
    d.createTempAs(
      NEW,
      sql`SELECT p.customer_id AS customer_id,
                 CASE WHEN p.global_draw < ${sql.param(global, "number")} THEN ${HOLDOUT_VARIANT}
                      ELSE ${variantSql(sql`p.draw`, weights, e.holdout)} END AS variant
            FROM (SELECT s.customer_id AS customer_id, ${draw} AS draw, ${globalDraw} AS global_draw
                    FROM (SELECT DISTINCT customer_id FROM (${population}) q WHERE customer_id IS NOT NULL) s
                   WHERE s.customer_id NOT IN
                         (SELECT customer_id FROM experiment_assignments WHERE experiment_id = ${e.id})) p`,
    ),
  );
  try {
    const counts = await stagedCounts(engine, e, staged);
    await engine.run(
      sql`INSERT INTO experiment_assignments (experiment_id, customer_id, variant, assigned_at, source)
          SELECT ${e.id}, customer_id, variant, ${sql.param(at.toISOString(), "timestamp")}, 'hash' FROM ${staged}`,
    );
    return {
      experiment: e.id,
      source: "hash",
      at: at.toISOString(),
      weights,
      weightsFrom: from,
      globalHoldout: global,
      ...counts,
      exposures: null,
    };
  } finally {
    await engine.run(sql`DROP TABLE IF EXISTS ${staged}`);
  }
}

/** Assigns one experiment by id (`tessera experiment assign ID`). */
export async function assignExperimentNamed(
  engine: Engine,
  id: string,
  at = new Date(),
): Promise<AssignResult> {
  return assignExperiment(engine, await experimentNamed(engine, id), at);
}

/**
 * After a segment refresh: assigns the new people of every experiment running at `at` (status running, between
 * start and end). An experiment whose segment or audience is gone is left as it is (nothing to assign from).
 */
export async function assignRunningExperiments(engine: Engine, at = new Date()): Promise<AssignResult[]> {
  const out: AssignResult[] = [];
  for (const e of await listExperiments(engine)) {
    if (phaseOf(e, at) !== "running") continue;
    try {
      out.push(await assignExperiment(engine, e, at));
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
    }
  }
  return out;
}

/**
 * The people in `variant` of `experiment` (each counted in their earliest assignment, as an analysis counts them):
 * a relation (`customer_id`) for a campaign that treats that variant.
 */
export function variantPeopleSql(engine: Engine, experiment: string, variant: string): Sql {
  const d = engine.dialect;
  return sql`SELECT customer_id FROM (
               SELECT customer_id, ${d.argMin(sql`variant`, sql`assigned_at`)} AS variant FROM experiment_assignments
                WHERE experiment_id = ${experiment} AND customer_id IS NOT NULL GROUP BY customer_id) v
              WHERE v.variant = ${variant}`;
}
