import { gated, reportMinGroup, suppressPartition } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { type Sql, sql } from "../store/sql.js";
import type { Experiment } from "./experiments.js";
import type { ExposureReport } from "./exposures-report.js";
import type { Variant } from "./variants.js";
import { HOLDOUT_VARIANT } from "./variants.js";

/** How many people one run assigned, per variant (k-gated: a variant's count under k is hidden). */
export interface AssignResult {
  readonly experiment: string;
  readonly source: "hash" | "event";
  /** When they were assigned (exposures: each person's first exposure time instead). */
  readonly at: string;
  /** The weights new people were split by, and whether they were the planned ones or a bandit's allocation. */
  readonly weights: readonly Variant[];
  readonly weightsFrom: "planned" | "bandit" | "events";
  /** The global holdout share in force. */
  readonly globalHoldout: number;
  /** People newly assigned by this run (null: hidden by the k-gate). */
  readonly added: number | null;
  readonly byVariant: readonly { readonly variant: string; readonly added: number | null }[];
  /** People assigned before this run (they were not moved). */
  readonly before: number | null;
  readonly suppressed: boolean;
  /** Exposures read from events: unknown variations and the like; null for a hashed experiment. */
  readonly exposures: ExposureReport | null;
}

/**
 * Counts of a staged run (a temp table of `variant` per new person) and of the people assigned before, k-gated
 * as one partition (the variants' counts add up to the added).
 */
export async function stagedCounts(
  engine: Engine,
  e: Experiment,
  staged: Sql,
): Promise<Pick<AssignResult, "added" | "byVariant" | "before" | "suppressed">> {
  const r = await engine.query(sql`SELECT variant, count(*) AS n FROM ${staged} GROUP BY variant`);
  const counts = new Map<string, number>();
  for (const row of r.rows<{ variant: string; n: unknown }>()) counts.set(row.variant, Number(row.n));
  const names = [...e.variants.map((v) => v.name), HOLDOUT_VARIANT];
  const cells = names.map((n) => counts.get(n) ?? 0);
  const added = cells.reduce((a, b) => a + b, 0);
  const before = Number(
    (
      await engine.query(sql`SELECT count(*) AS n FROM experiment_assignments WHERE experiment_id = ${e.id}`)
    ).column("n")[0] ?? 0,
  );
  const k = await reportMinGroup(engine);
  const { hidden, totalHidden } = suppressPartition(cells, k);
  return {
    added: gated(added, totalHidden || (added > 0 && added < k)),
    byVariant: names.map((variant, i) => ({ variant, added: gated(cells[i] ?? 0, hidden[i] === true) })),
    before: gated(before, before > 0 && before < k),
    suppressed: totalHidden || hidden.some(Boolean),
  };
}
