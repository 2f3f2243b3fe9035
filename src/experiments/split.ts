import { gated, reportMinGroup, suppressPartition } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { Experiment } from "./experiments.js";
import { HOLDOUT_VARIANT } from "./variants.js";

/** One arm of an experiment's split: planned share against the people actually assigned (k-gated). */
export interface SplitRow {
  readonly variant: string;
  /** The planned share of the population (the holdout's, then each variant's of the rest). */
  readonly planned: number;
  /** People assigned (null: hidden by the k-gate). */
  readonly people: number | null;
  /** Their share of everyone assigned (null when hidden). */
  readonly actual: number | null;
}

export interface Split {
  readonly rows: readonly SplitRow[];
  /** Everyone assigned (null: under k). */
  readonly total: number | null;
  readonly firstAssigned: string | null;
  readonly lastAssigned: string | null;
  readonly minGroup: number;
  readonly suppressed: boolean;
}

/**
 * Planned against actual split of an experiment. `holdout` gathers the experiment's holdout and the global
 * holdout's people (its planned share is the experiment's own). Each count through the k-gate as one partition
 * of the total.
 */
export async function experimentSplit(engine: Engine, e: Experiment): Promise<Split> {
  const r = await engine.query(
    sql`SELECT variant, count(*) AS n, min(assigned_at) AS first_at, max(assigned_at) AS last_at
          FROM experiment_assignments WHERE experiment_id = ${e.id} GROUP BY variant`,
  );
  const counts = new Map<string, number>();
  let first: Date | null = null;
  let last: Date | null = null;
  for (const row of r.rows<{ variant: string; n: unknown; first_at: unknown; last_at: unknown }>()) {
    counts.set(row.variant, (counts.get(row.variant) ?? 0) + Number(row.n));
    const f = new Date(row.first_at instanceof Date ? row.first_at : String(row.first_at));
    const l = new Date(row.last_at instanceof Date ? row.last_at : String(row.last_at));
    if (!first || f < first) first = f;
    if (!last || l > last) last = l;
  }
  const arms = [
    ...e.variants.map((v) => ({ variant: v.name, planned: (1 - e.holdout) * v.weight })),
    { variant: HOLDOUT_VARIANT, planned: e.holdout },
  ];
  const cells = arms.map((a) => counts.get(a.variant) ?? 0);
  const total = cells.reduce((a, b) => a + b, 0);
  const k = await reportMinGroup(engine);
  const { hidden, totalHidden } = suppressPartition(cells, k);
  const totalShown = !(totalHidden || (total > 0 && total < k));
  return {
    rows: arms.map((a, i) => {
      const people = gated(cells[i] ?? 0, hidden[i] === true);
      return {
        variant: a.variant,
        planned: a.planned,
        people,
        actual: people === null || !totalShown || total === 0 ? null : people / total,
      };
    }),
    total: totalShown ? total : null,
    firstAssigned: first?.toISOString() ?? null,
    lastAssigned: last?.toISOString() ?? null,
    minGroup: k,
    suppressed: !totalShown || hidden.some(Boolean),
  };
}
