import { UserError } from "../errors.js";
import { noisyCounts } from "../privacy/dp-release.js";
import { intersectionHidden } from "../privacy/k-gate.js";
import type { Engine } from "../store/engine.js";
import { sql } from "../store/sql.js";
import type { SegmentDefinition } from "./definition.js";
import { countWhere, customerCount, dropEvaluation, evaluateSegments } from "./evaluate.js";
import { loadSchemaContext, type SchemaContext } from "./schema-context.js";
import {
  listSegments,
  notEvaluated,
  requireEvaluated,
  requireSegment,
  type SavedSegment,
  savedSegmentSizes,
  saveSegment,
} from "./segment-store.js";
import { hiddenSizes } from "./size-gate.js";

/**
 * Every saved segment's size at the last refresh (null when its latest version has not been evaluated), the
 * number of customers, and which sizes the k-gate hides (report-gate.ts): the one rule `segment list`, `show`,
 * `overlap` and `history` share, so that no two of them disagree on a size. k is the caller's (a report's k, from
 * `reportMinGroup`), else the database's `min_group`, read with the segments and their sizes in one query.
 */
export async function gatedSegmentSizes(
  engine: Engine,
  k?: number,
  /**
   * Released with differential-privacy noise (`Caller.noise`): each size gets discrete Laplace noise, ε shared
   * among the segments (a person may be in every one of them: basic composition), before the k-gate, which then
   * hides noisy sizes as it hides exact ones.
   */
  noise?: { readonly epsilon: string },
): Promise<{
  segments: SavedSegment[];
  sizes: Map<string, number | null>;
  hidden: Set<string>;
  base: number;
  k: number;
}> {
  const saved = await savedSegmentSizes(engine);
  const { segments, sizes, base } = saved;
  const gate = k ?? saved.minGroup;
  if (noise) {
    const known = [...sizes].filter((x): x is [string, number] => x[1] !== null);
    const noisy = noisyCounts(
      known.map(([, n]) => n),
      Number(noise.epsilon),
      Math.max(1, known.length),
    );
    for (const [i, [id]] of known.entries()) sizes.set(id, noisy[i] as number);
  }
  return { segments, sizes, hidden: hiddenSizes(sizes, base, gate), base, k: gate };
}

/**
 * Membership reports over the stays the last refresh recorded: pairwise overlap, the size guard (too small, near
 * copies), and MECE coverage with its exclusive re-cut.
 */

/**
 * The segments a look at current memberships covers: those named (each must exist and have been evaluated by a
 * refresh since its latest version was saved), or, with none named, every evaluated one that `keep` keeps; the
 * others are returned apart, so that a report can say it left them out.
 */
async function evaluatedSegments(
  engine: Engine,
  named: readonly string[],
  what: string,
  keep: (id: string) => boolean = () => true,
): Promise<{ ids: string[]; notEvaluated: string[] }> {
  if (named.length) {
    for (const id of named) await requireSegment(engine, id);
    await requireEvaluated(engine, named, what);
    return { ids: [...named], notEvaluated: [] };
  }
  const stale = await notEvaluated(engine);
  const all = (await listSegments(engine)).map((s) => s.id).filter(keep);
  return { ids: all.filter((id) => !stale.has(id)), notEvaluated: all.filter((id) => stale.has(id)) };
}

export interface Overlap {
  readonly ids: string[];
  /** Segments left out (none named): saved since the last refresh, so their members are not known yet. */
  readonly notEvaluated: string[];
  readonly sizes: number[];
  /** counts[i][j]: customers in both i and j (the diagonal is each size). */
  readonly counts: number[][];
  readonly jaccard: number[][];
}

/** Pairwise overlap of current memberships (the latest refresh). */
export async function segmentOverlap(engine: Engine, ids?: readonly string[]): Promise<Overlap> {
  const { ids: all, notEvaluated } = await evaluatedSegments(engine, ids ?? [], "overlap");
  const r = await engine.query(
    `SELECT a.segment_id AS a, b.segment_id AS b, count(*) AS n
       FROM segment_membership a JOIN segment_membership b ON a.customer_id = b.customer_id
      WHERE a.exited_at IS NULL AND b.exited_at IS NULL
      GROUP BY a.segment_id, b.segment_id`,
  );
  const pair = new Map<string, number>();
  for (const row of r.rows<{ a: string; b: string; n: number }>())
    pair.set(`${row.a}\u0000${row.b}`, Number(row.n));
  const counts = all.map((a) => all.map((b) => pair.get(`${a}\u0000${b}`) ?? 0));
  const sizes = all.map((_, i) => counts[i]?.[i] ?? 0);
  const jaccard = all.map((_, i) =>
    all.map((_, j) => {
      const inter = counts[i]?.[j] ?? 0;
      const union = (sizes[i] ?? 0) + (sizes[j] ?? 0) - inter;
      return union === 0 ? 0 : inter / union;
    }),
  );
  return { ids: all, notEvaluated, sizes, counts, jaccard };
}

export interface GuardWarning {
  readonly kind: "too-small" | "near-copy";
  readonly segments: string[];
  readonly message: string;
}

/**
 * The size guard's thresholds when none are given (README, "Segments"): under 100 people or 1% of customers is
 * too small to act on; a Jaccard index of 0.9 or more makes two segments near-copies.
 */
export const GUARD_DEFAULTS = { minSize: 100, minShare: 0.01, maxJaccard: 0.9 } as const;

/**
 * Warns about segments under a minimum size and about near-copies (Jaccard ≥ the threshold). A warning is a
 * report too: a size the k-gate hides (`hidden`, as segment list hides it) is said as "fewer than k", and the
 * Jaccard index of a pair whose intersection it would hide is not given, only that it passes the threshold.
 */
export async function sizeGuard(
  engine: Engine,
  opts: {
    minSize?: number;
    minShare?: number;
    maxJaccard?: number;
    k?: number;
    hidden?: ReadonlySet<string>;
  } = {},
): Promise<GuardWarning[]> {
  const minSize = opts.minSize ?? GUARD_DEFAULTS.minSize;
  const minShare = opts.minShare ?? GUARD_DEFAULTS.minShare;
  const maxJaccard = opts.maxJaccard ?? GUARD_DEFAULTS.maxJaccard;
  const customers = await customerCount(engine);
  const o = await segmentOverlap(engine);
  const warnings: GuardWarning[] = [];
  const k = opts.k ?? 1;
  const hidden = opts.hidden ?? new Set<string>();
  o.ids.forEach((id, i) => {
    const size = o.sizes[i] ?? 0;
    if (size < minSize || (customers > 0 && size / customers < minShare)) {
      const what = hidden.has(id)
        ? `fewer than ${k} customers, or all but fewer than ${k} (privacy: min_group)`
        : `${size} customers (${((100 * size) / Math.max(customers, 1)).toFixed(2)}% of ${customers})`;
      warnings.push({
        kind: "too-small",
        segments: [id],
        message: `${id} has ${what}: under ${minSize} people or ${Number((minShare * 100).toFixed(4))}% of customers`,
      });
    }
    for (let j = i + 1; j < o.ids.length; j++) {
      const jac = o.jaccard[i]?.[j] ?? 0;
      if (jac >= maxJaccard) {
        const b = o.ids[j] as string;
        const gated =
          hidden.has(id) ||
          hidden.has(b) ||
          intersectionHidden(o.counts[i]?.[j] ?? 0, size, o.sizes[j] ?? 0, customers, k);
        warnings.push({
          kind: "near-copy",
          segments: [id, b],
          message: `${id} and ${b} are near-copies (Jaccard ${gated ? "" : `${jac.toFixed(3)} `}≥ ${maxJaccard})`,
        });
      }
    }
  });
  return warnings;
}

export interface Mece {
  readonly ids: string[];
  /** Segments left out (none named): saved since the last refresh, so their members are not known yet. */
  readonly notEvaluated: string[];
  readonly customers: number;
  /** Share of customers in at least one of the segments. */
  readonly coverage: number;
  readonly covered: number;
  /** Customers in two or more of the segments. */
  readonly overlapping: number;
  readonly exclusive?: { id: string; from: string; size: number }[];
  /** The pairwise intersections, for the k-gate (not shown; null: too many segments to count them this way). */
  readonly intersections: Intersections | null;
}

/**
 * Pairwise intersections of segments (ids in order): what the k-gate compares a MECE report's coverage with. Not
 * part of the report: a caller that shows it passes it through the gate first.
 */
export interface Intersections {
  readonly sizes: number[];
  readonly counts: number[][];
}

/** The most segments whose combinations one 64-bit mask holds (beyond, pairs are read by `segmentOverlap`). */
const MASK_SEGMENTS = 62;

/**
 * How many customers are in at least one and in two or more of `ids` (current memberships), with every pairwise
 * intersection when there are few enough segments: one scan groups the customers by the set of segments they are
 * in (a bit mask), and the pairs follow from those few combinations — reading the pairs with a self-join of the
 * memberships doubled what a MECE report costs on a million customers.
 */
async function membershipCombinations(
  engine: Engine,
  ids: readonly string[],
): Promise<{ covered: number; overlapping: number; intersections: Intersections | null }> {
  const d = engine.dialect;
  const list = sql.join(ids.map((i) => sql.raw(d.literal(i))));
  const open = sql`exited_at IS NULL AND segment_id IN (${list})`;
  if (ids.length > MASK_SEGMENTS) {
    const r = await engine.query(
      sql`SELECT count(*) AS covered, ${d.aggIf("count", [], sql`n > 1`)} AS overlapping FROM (
         SELECT customer_id, count(DISTINCT segment_id) AS n FROM segment_membership WHERE ${open} GROUP BY customer_id) x`,
    );
    return {
      covered: Number(r.column("covered")[0]),
      overlapping: Number(r.column("overlapping")[0]),
      intersections: null,
    };
  }
  // One open stay per segment and customer: the sum of the segments' bits is the set a customer is in.
  const bit = sql`CASE segment_id ${sql.join(
    ids.map((id, i) => sql.raw(`WHEN ${d.literal(id)} THEN ${(1n << BigInt(i)).toString()}`)),
    " ",
  )} END`;
  const r = await engine.query(
    sql`SELECT ${d.toText(sql`mask`)} AS mask, count(*) AS n FROM (
       SELECT customer_id, sum(${bit}) AS mask FROM segment_membership WHERE ${open} GROUP BY customer_id) x
       GROUP BY mask`,
  );
  const sizes = ids.map(() => 0);
  const counts = ids.map(() => ids.map(() => 0));
  let covered = 0;
  let overlapping = 0;
  const masks = r.column("mask");
  const ns = r.column("n");
  for (let row = 0; row < r.rowCount; row++) {
    const mask = BigInt(String(masks[row]));
    const n = Number(ns[row]);
    const members = ids.flatMap((_, i) => ((mask >> BigInt(i)) & 1n ? [i] : []));
    covered += n;
    if (members.length > 1) overlapping += n;
    for (const i of members) {
      sizes[i] = (sizes[i] ?? 0) + n;
      for (const j of members) (counts[i] as number[])[j] = ((counts[i] as number[])[j] ?? 0) + n;
    }
  }
  return { covered, overlapping, intersections: { sizes, counts } };
}

/** The id prefix of the segments an exclusive MECE run saves, when none is given. */
export const MECE_PREFIX = "mece-";

/**
 * Coverage and overlap of a set of segments (current memberships); with no ids, of every saved segment but the
 * `<prefix>…` ones an earlier exclusive run saved (they re-divide the others). With `exclusive`, each customer
 * goes to the first matching segment in the given order: saved as segments `<prefix><id>` (and `<prefix>other`
 * for the rest), so the set becomes mutually exclusive and collectively exhaustive at every refresh. That order
 * is a priority, so it must be given: no ids with `exclusive` is an error.
 */
export async function meceSegments(
  engine: Engine,
  given: readonly string[],
  opts: { exclusive?: boolean; prefix?: string; asOf?: Date } = {},
): Promise<Mece> {
  const prefix = opts.prefix ?? MECE_PREFIX;
  if (given.length === 0 && opts.exclusive)
    throw new UserError(
      "no-segments",
      "name the segments in priority order: each customer goes to the first one that matches",
      "mece --exclusive",
    );
  const twice = given.find((id, i) => given.indexOf(id) !== i);
  if (twice !== undefined && opts.exclusive)
    throw new UserError(
      "duplicate-segment",
      `"${twice}" is named twice: give each segment once, in priority order`,
      "mece --exclusive",
    );
  const { ids, notEvaluated } = await evaluatedSegments(
    engine,
    given,
    "mece",
    (id) => !id.startsWith(prefix),
  );
  if (ids.length === 0)
    throw new UserError(
      "no-segments",
      notEvaluated.length
        ? `no segment has been evaluated yet (${notEvaluated.join(", ")}): run tessera segment refresh first`
        : "no saved segments to look at",
      "mece",
    );
  const combos = await membershipCombinations(engine, ids);
  const customers = await customerCount(engine);
  const covered = combos.covered;
  const base = {
    ids: [...ids],
    notEvaluated,
    customers,
    covered,
    coverage: customers ? covered / customers : 0,
    overlapping: combos.overlapping,
    intersections: combos.intersections,
  };
  if (!opts.exclusive) return base;
  const defs: SegmentDefinition[] = ids.map((id, i) => ({
    id: `${prefix}${id}`,
    name: `${id} (exclusive, priority ${i + 1})`,
    where:
      i === 0
        ? { segment: id }
        : { all: [{ segment: id }, { not: { any: ids.slice(0, i).map((p) => ({ segment: p })) } }] },
  }));
  defs.push({
    id: `${prefix}other`,
    name: "in none of the segments",
    where: { not: { any: ids.map((p) => ({ segment: p })) } },
  });
  // Evaluated before anything is saved: evaluating checks the saved segments named again, so a refusal leaves no
  // exclusive segment behind, on an engine without transactions too. The saves are then one transaction.
  const schema: SchemaContext = await loadSchemaContext(engine, { events: false });
  const ev = await evaluateSegments(engine, defs, schema, opts.asOf ?? new Date());
  const exclusive = [];
  for (const [i, d] of defs.entries()) {
    exclusive.push({
      id: d.id,
      from: ids[i] ?? "(rest)",
      size: await countWhere(engine, ev.columns.get(d.id) as string),
    });
  }
  await dropEvaluation(engine);
  await engine.transaction(async () => {
    for (const d of defs) await saveSegment(engine, d, `mece ${d.id}`);
  });
  return { ...base, exclusive };
}
